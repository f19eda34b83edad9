/**
 * The CIS AWS Foundations Benchmark monitoring controls (CIS 4.1-4.15, CIS v1.2 3.1-3.14,
 * Security Hub CloudWatch.1-14) as data: each control's CloudWatch Logs metric-filter pattern(s),
 * verbatim from the aitrail CloudTrail reference, section 7 (sources: Security Hub
 * `cloudwatch-controls.md` and the CIS v1.4/v3.0/v5.0 remediation text). Keep them byte-for-byte:
 * Security Hub checks for these exact patterns, and the CIS 4.1 variants differ only in operators.
 */

/** One published form of a control's filter pattern. */
export interface CisPatternVariant {
  /** Stable id within the control (for example `cis-v3-v5`). */
  readonly id: string;
  /** Where this form is published. */
  readonly source: string;
  /** The filter pattern, verbatim. */
  readonly pattern: string;
  /** What to know before using this form. */
  readonly note?: string;
}

/** A CIS monitoring control with its metric-filter pattern(s). */
export interface CisMetricFilterControl {
  /** CIS v1.4-v5.0 numbering (`4.1`). */
  readonly cis: string;
  /** CIS v1.2 numbering (`3.1`), null when the control did not exist. */
  readonly cisV12: string | null;
  /** Security Hub control id (`CloudWatch.2`), null when there is none. */
  readonly securityHub: string | null;
  /** Short title. */
  readonly title: string;
  /** The first-listed (default) pattern, equal to `variants[0].pattern`. */
  readonly pattern: string;
  /** Every published form, the default first. */
  readonly variants: readonly CisPatternVariant[];
}

/** The 15 CIS monitoring controls in CIS order. */
export const CIS_METRIC_FILTERS: readonly CisMetricFilterControl[] = [
  {
    cis: '4.1',
    cisV12: '3.1',
    securityHub: 'CloudWatch.2',
    title: 'Unauthorized API calls',
    pattern: '{($.errorCode="*UnauthorizedOperation") || ($.errorCode="AccessDenied*")}',
    variants: [
      {
        id: 'sh-v1.2',
        source: 'Security Hub CloudWatch.2 / CIS v1.2 3.1',
        pattern: '{($.errorCode="*UnauthorizedOperation") || ($.errorCode="AccessDenied*")}',
      },
      {
        id: 'cis-v3-v5',
        source: 'CIS v3.0 / v5.0 4.1',
        pattern: '{ ($.errorCode ="*UnauthorizedOperation") || ($.errorCode ="AccessDenied*") && ($.sourceIPAddress!="delivery.logs.amazonaws.com") && ($.eventName!="HeadBucket") }',
        note: "'&&' binds tighter than '||': reads as A || (B && C && D), so the exclusions only apply to AccessDenied*",
      },
      {
        id: 'cis-v1.4-printed',
        source: 'CIS v1.4 4.1 as printed (with ORs)',
        pattern: '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") || ($.sourceIPAddress!="delivery.logs.amazonaws.com") || ($.eventName!="HeadBucket") }',
        note: "the '||' before the two '!=' clauses makes it match nearly every event that has a sourceIPAddress",
      },
    ],
  },
  {
    cis: '4.2',
    cisV12: '3.2',
    securityHub: 'CloudWatch.3',
    title: 'Console sign-in without MFA',
    pattern: '{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") }',
    variants: [
      {
        id: 'base',
        source: 'CIS v1.2-v5.0 / Security Hub (original)',
        pattern: '{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") }',
      },
      {
        id: 'sh-excludes-sso',
        source: 'Security Hub CloudWatch.3 (current): IAM users only, successful sign-ins, so SSO/federated sign-ins are excluded',
        pattern: '{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") && ($.userIdentity.type = "IAMUser") && ($.responseElements.ConsoleLogin = "Success") }',
      },
    ],
  },
  {
    cis: '4.3',
    cisV12: '3.3',
    securityHub: 'CloudWatch.1',
    title: 'Root account usage',
    pattern: '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }',
    variants: [
      {
        id: 'cis',
        source: 'CIS v1.2-v5.0',
        pattern: '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }',
      },
      {
        id: 'sh',
        source: 'Security Hub CloudWatch.1',
        pattern: '{$.userIdentity.type="Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType !="AwsServiceEvent"}',
      },
    ],
  },
  {
    cis: '4.4',
    cisV12: '3.4',
    securityHub: 'CloudWatch.4',
    title: 'IAM policy changes',
    pattern: '{($.eventName=DeleteGroupPolicy)||($.eventName=DeleteRolePolicy)||($.eventName=DeleteUserPolicy)||($.eventName=PutGroupPolicy)||($.eventName=PutRolePolicy)||($.eventName=PutUserPolicy)||($.eventName=CreatePolicy)||($.eventName=DeletePolicy)||($.eventName=CreatePolicyVersion)||($.eventName=DeletePolicyVersion)||($.eventName=AttachRolePolicy)||($.eventName=DetachRolePolicy)||($.eventName=AttachUserPolicy)||($.eventName=DetachUserPolicy)||($.eventName=AttachGroupPolicy)||($.eventName=DetachGroupPolicy)}',
    variants: [
      {
        id: 'base',
        source: 'CIS v1.2-v5.0 / Security Hub CloudWatch.4',
        pattern: '{($.eventName=DeleteGroupPolicy)||($.eventName=DeleteRolePolicy)||($.eventName=DeleteUserPolicy)||($.eventName=PutGroupPolicy)||($.eventName=PutRolePolicy)||($.eventName=PutUserPolicy)||($.eventName=CreatePolicy)||($.eventName=DeletePolicy)||($.eventName=CreatePolicyVersion)||($.eventName=DeletePolicyVersion)||($.eventName=AttachRolePolicy)||($.eventName=DetachRolePolicy)||($.eventName=AttachUserPolicy)||($.eventName=DetachUserPolicy)||($.eventName=AttachGroupPolicy)||($.eventName=DetachGroupPolicy)}',
      },
    ],
  },
  {
    cis: '4.5',
    cisV12: '3.5',
    securityHub: 'CloudWatch.5',
    title: 'CloudTrail config changes',
    pattern: '{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail) || ($.eventName = StartLogging) || ($.eventName = StopLogging) }',
    variants: [
      {
        id: 'base',
        source: 'CIS v1.2-v5.0 / Security Hub CloudWatch.5',
        pattern: '{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail) || ($.eventName = StartLogging) || ($.eventName = StopLogging) }',
      },
    ],
  },
  {
    cis: '4.6',
    cisV12: '3.6',
    securityHub: 'CloudWatch.6',
    title: 'Console auth failures',
    pattern: '{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }',
    variants: [
      {
        id: 'base',
        source: 'CIS v1.2-v5.0 / Security Hub CloudWatch.6',
        pattern: '{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }',
      },
    ],
  },
  {
    cis: '4.7',
    cisV12: '3.7',
    securityHub: 'CloudWatch.7',
    title: 'Disable or scheduled deletion of CMKs',
    pattern: '{($.eventSource = kms.amazonaws.com) && (($.eventName=DisableKey)||($.eventName=ScheduleKeyDeletion)) }',
    variants: [
      {
        id: 'base',
        source: 'CIS v1.2-v5.0 / Security Hub CloudWatch.7',
        pattern: '{($.eventSource = kms.amazonaws.com) && (($.eventName=DisableKey)||($.eventName=ScheduleKeyDeletion)) }',
      },
    ],
  },
  {
    cis: '4.8',
    cisV12: '3.8',
    securityHub: 'CloudWatch.8',
    title: 'S3 bucket policy changes',
    pattern: '{ ($.eventSource = s3.amazonaws.com) && (($.eventName = PutBucketAcl) || ($.eventName = PutBucketPolicy) || ($.eventName = PutBucketCors) || ($.eventName = PutBucketLifecycle) || ($.eventName = PutBucketReplication) || ($.eventName = DeleteBucketPolicy) || ($.eventName = DeleteBucketCors) || ($.eventName = DeleteBucketLifecycle) || ($.eventName = DeleteBucketReplication)) }',
    variants: [
      {
        id: 'base',
        source: 'CIS v1.2-v5.0 / Security Hub CloudWatch.8',
        pattern: '{ ($.eventSource = s3.amazonaws.com) && (($.eventName = PutBucketAcl) || ($.eventName = PutBucketPolicy) || ($.eventName = PutBucketCors) || ($.eventName = PutBucketLifecycle) || ($.eventName = PutBucketReplication) || ($.eventName = DeleteBucketPolicy) || ($.eventName = DeleteBucketCors) || ($.eventName = DeleteBucketLifecycle) || ($.eventName = DeleteBucketReplication)) }',
      },
    ],
  },
  {
    cis: '4.9',
    cisV12: '3.9',
    securityHub: 'CloudWatch.9',
    title: 'AWS Config changes',
    pattern: '{ ($.eventSource = config.amazonaws.com) && (($.eventName=StopConfigurationRecorder)||($.eventName=DeleteDeliveryChannel) ||($.eventName=PutDeliveryChannel)||($.eventName=PutConfigurationRecorder)) }',
    variants: [
      {
        id: 'base',
        source: 'CIS v1.2-v5.0 / Security Hub CloudWatch.9',
        pattern: '{ ($.eventSource = config.amazonaws.com) && (($.eventName=StopConfigurationRecorder)||($.eventName=DeleteDeliveryChannel) ||($.eventName=PutDeliveryChannel)||($.eventName=PutConfigurationRecorder)) }',
      },
    ],
  },
  {
    cis: '4.10',
    cisV12: '3.10',
    securityHub: 'CloudWatch.10',
    title: 'Security group changes',
    pattern: '{ ($.eventName = AuthorizeSecurityGroupIngress) || ($.eventName = AuthorizeSecurityGroupEgress) || ($.eventName = RevokeSecurityGroupIngress) || ($.eventName = RevokeSecurityGroupEgress) || ($.eventName = CreateSecurityGroup) || ($.eventName = DeleteSecurityGroup) }',
    variants: [
      {
        id: 'base',
        source: 'CIS v1.2-v3.0 / Security Hub CloudWatch.10',
        pattern: '{ ($.eventName = AuthorizeSecurityGroupIngress) || ($.eventName = AuthorizeSecurityGroupEgress) || ($.eventName = RevokeSecurityGroupIngress) || ($.eventName = RevokeSecurityGroupEgress) || ($.eventName = CreateSecurityGroup) || ($.eventName = DeleteSecurityGroup) }',
      },
      {
        id: 'cis-v5',
        source: 'CIS v5.0 (adds ModifySecurityGroupRules)',
        pattern: '{ ($.eventName = AuthorizeSecurityGroupIngress) || ($.eventName = AuthorizeSecurityGroupEgress) || ($.eventName = RevokeSecurityGroupIngress) || ($.eventName = RevokeSecurityGroupEgress) || ($.eventName = CreateSecurityGroup) || ($.eventName = DeleteSecurityGroup) || ($.eventName = ModifySecurityGroupRules) }',
      },
    ],
  },
  {
    cis: '4.11',
    cisV12: '3.11',
    securityHub: 'CloudWatch.11',
    title: 'NACL changes',
    pattern: '{ ($.eventName = CreateNetworkAcl) || ($.eventName = CreateNetworkAclEntry) || ($.eventName = DeleteNetworkAcl) || ($.eventName = DeleteNetworkAclEntry) || ($.eventName = ReplaceNetworkAclEntry) || ($.eventName = ReplaceNetworkAclAssociation) }',
    variants: [
      {
        id: 'base',
        source: 'CIS v1.2-v5.0 / Security Hub CloudWatch.11',
        pattern: '{ ($.eventName = CreateNetworkAcl) || ($.eventName = CreateNetworkAclEntry) || ($.eventName = DeleteNetworkAcl) || ($.eventName = DeleteNetworkAclEntry) || ($.eventName = ReplaceNetworkAclEntry) || ($.eventName = ReplaceNetworkAclAssociation) }',
      },
    ],
  },
  {
    cis: '4.12',
    cisV12: '3.12',
    securityHub: 'CloudWatch.12',
    title: 'Network gateway changes',
    pattern: '{ ($.eventName = CreateCustomerGateway) || ($.eventName = DeleteCustomerGateway) || ($.eventName = AttachInternetGateway) || ($.eventName = CreateInternetGateway) || ($.eventName = DeleteInternetGateway) || ($.eventName = DetachInternetGateway) }',
    variants: [
      {
        id: 'base',
        source: 'CIS v1.2-v5.0 / Security Hub CloudWatch.12',
        pattern: '{ ($.eventName = CreateCustomerGateway) || ($.eventName = DeleteCustomerGateway) || ($.eventName = AttachInternetGateway) || ($.eventName = CreateInternetGateway) || ($.eventName = DeleteInternetGateway) || ($.eventName = DetachInternetGateway) }',
      },
    ],
  },
  {
    cis: '4.13',
    cisV12: '3.13',
    securityHub: 'CloudWatch.13',
    title: 'Route table changes',
    pattern: '{ ($.eventName = CreateRoute) || ($.eventName = CreateRouteTable) || ($.eventName = ReplaceRoute) || ($.eventName = ReplaceRouteTableAssociation) || ($.eventName = DeleteRouteTable) || ($.eventName = DeleteRoute) || ($.eventName = DisassociateRouteTable) }',
    variants: [
      {
        id: 'base',
        source: 'CIS v1.2-v5.0 / Security Hub CloudWatch.13',
        pattern: '{ ($.eventName = CreateRoute) || ($.eventName = CreateRouteTable) || ($.eventName = ReplaceRoute) || ($.eventName = ReplaceRouteTableAssociation) || ($.eventName = DeleteRouteTable) || ($.eventName = DeleteRoute) || ($.eventName = DisassociateRouteTable) }',
      },
    ],
  },
  {
    cis: '4.14',
    cisV12: '3.14',
    securityHub: 'CloudWatch.14',
    title: 'VPC changes',
    pattern: '{ ($.eventName = CreateVpc) || ($.eventName = DeleteVpc) || ($.eventName = ModifyVpcAttribute) || ($.eventName = AcceptVpcPeeringConnection) || ($.eventName = CreateVpcPeeringConnection) || ($.eventName = DeleteVpcPeeringConnection) || ($.eventName = RejectVpcPeeringConnection) || ($.eventName = AttachClassicLinkVpc) || ($.eventName = DetachClassicLinkVpc) || ($.eventName = DisableVpcClassicLink) || ($.eventName = EnableVpcClassicLink) }',
    variants: [
      {
        id: 'base',
        source: 'CIS v1.2-v5.0 / Security Hub CloudWatch.14',
        pattern: '{ ($.eventName = CreateVpc) || ($.eventName = DeleteVpc) || ($.eventName = ModifyVpcAttribute) || ($.eventName = AcceptVpcPeeringConnection) || ($.eventName = CreateVpcPeeringConnection) || ($.eventName = DeleteVpcPeeringConnection) || ($.eventName = RejectVpcPeeringConnection) || ($.eventName = AttachClassicLinkVpc) || ($.eventName = DetachClassicLinkVpc) || ($.eventName = DisableVpcClassicLink) || ($.eventName = EnableVpcClassicLink) }',
      },
    ],
  },
  {
    cis: '4.15',
    cisV12: null,
    securityHub: null,
    title: 'AWS Organizations changes',
    pattern: '{ ($.eventSource = organizations.amazonaws.com) && (($.eventName = "AcceptHandshake") || ($.eventName = "AttachPolicy") || ($.eventName = "CreateAccount") || ($.eventName = "CreateOrganizationalUnit") || ($.eventName = "CreatePolicy") || ($.eventName = "DeclineHandshake") || ($.eventName = "DeleteOrganization") || ($.eventName = "DeleteOrganizationalUnit") || ($.eventName = "DeletePolicy") || ($.eventName = "DetachPolicy") || ($.eventName = "DisablePolicyType") || ($.eventName = "EnablePolicyType") || ($.eventName = "InviteAccountToOrganization") || ($.eventName = "LeaveOrganization") || ($.eventName = "MoveAccount") || ($.eventName = "RemoveAccountFromOrganization") || ($.eventName = "UpdatePolicy") || ($.eventName = "UpdateOrganizationalUnit")) }',
    variants: [
      {
        id: 'base',
        source: 'CIS v3.0-v5.0 (no Security Hub control)',
        pattern: '{ ($.eventSource = organizations.amazonaws.com) && (($.eventName = "AcceptHandshake") || ($.eventName = "AttachPolicy") || ($.eventName = "CreateAccount") || ($.eventName = "CreateOrganizationalUnit") || ($.eventName = "CreatePolicy") || ($.eventName = "DeclineHandshake") || ($.eventName = "DeleteOrganization") || ($.eventName = "DeleteOrganizationalUnit") || ($.eventName = "DeletePolicy") || ($.eventName = "DetachPolicy") || ($.eventName = "DisablePolicyType") || ($.eventName = "EnablePolicyType") || ($.eventName = "InviteAccountToOrganization") || ($.eventName = "LeaveOrganization") || ($.eventName = "MoveAccount") || ($.eventName = "RemoveAccountFromOrganization") || ($.eventName = "UpdatePolicy") || ($.eventName = "UpdateOrganizationalUnit")) }',
      },
    ],
  },
];

/** The control with CIS number `cis` (`'4.1'`) or Security Hub id (`'CloudWatch.2'`), if any. */
export function cisControl(id: string): CisMetricFilterControl | undefined {
  return CIS_METRIC_FILTERS.find((c) => c.cis === id || c.securityHub === id || c.cisV12 === id);
}
