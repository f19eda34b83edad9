/**
 * A few detection rules for the console's end-to-end test, written into the test's temporary
 * rules folder so the test does not depend on which built-in packs ship.
 */
export const E2E_RULES: Record<string, string> = {
  'bedrock-logging.yml': `title: Bedrock model invocation logging disabled
id: e2e.bedrock_logging_disabled
status: stable
description: Someone deleted the Bedrock model invocation logging configuration, so prompts and completions are no longer recorded.
references:
  - https://docs.aws.amazon.com/bedrock/latest/userguide/model-invocation-logging.html
falsepositives:
  - A planned change of the logging destination
tags: [attack.defense-evasion, attack.t1562.008]
logsource: {product: aws, service: cloudtrail}
detection:
  selection:
    eventSource: bedrock.amazonaws.com
    eventName: DeleteModelInvocationLoggingConfiguration
  condition: selection
level: high
`,
  'bedrock-denied.yml': `title: Bedrock invocation denied
id: e2e.bedrock_access_denied
status: stable
description: A principal was denied when invoking a Bedrock model; repeated denials across models are typical of LLMjacking reconnaissance.
references:
  - https://permiso.io/blog/exploiting-hosted-models
falsepositives:
  - A developer trying a model their role does not allow yet
tags: [attack.discovery, attack.t1526]
logsource: {product: aws, service: cloudtrail}
detection:
  selection:
    eventSource: bedrock.amazonaws.com
    eventName: [InvokeModel, InvokeModelWithResponseStream, Converse, ConverseStream]
    errorCode|startswith: AccessDenied
  condition: selection
level: medium
`,
  'model-access.yml': `title: Foundation model access requested
id: e2e.model_access_requested
status: stable
description: A principal enabled access to foundation models (use case or entitlement), a step attackers take before abusing a stolen key.
references:
  - https://docs.aws.amazon.com/bedrock/latest/userguide/model-access.html
falsepositives:
  - An administrator enabling a new model for a team
tags: [attack.persistence, attack.t1098]
logsource: {product: aws, service: cloudtrail}
detection:
  selection:
    eventSource: bedrock.amazonaws.com
    eventName: [PutUseCaseForModelAccess, PutFoundationModelEntitlement, CreateFoundationModelAgreement]
  condition: selection
level: critical
`,
  'trail-stopped.yml': `title: CloudTrail logging stopped (CIS 4.5)
id: e2e.cloudtrail_stopped
description: A trail was stopped, deleted or changed.
references:
  - https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudwatch-alarms-for-cloudtrail.html
falsepositives:
  - Trail maintenance
tags: [attack.defense-evasion, attack.t1562.008]
level: critical
pattern: '{ ($.eventName = StopLogging) || ($.eventName = DeleteTrail) || ($.eventName = UpdateTrail) }'
`,
  'public-bucket.yml': `title: Bucket public access block removed
id: e2e.public_access_block_removed
description: The public access block of a bucket was deleted, which may expose training data.
references:
  - https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html
falsepositives:
  - A website bucket being configured
tags: [attack.exfiltration, attack.t1530]
level: low
pattern: '{ ($.eventSource = s3.amazonaws.com) && (($.eventName = DeleteBucketPublicAccessBlock) || ($.eventName = PutBucketPolicy)) }'
`,
};
