/**
 * The AI activity classification table: which CloudTrail events are AI work, and what kind.
 * It is data: the store compiles it to one SQL CASE expression applied at ingest
 * (see store/classify.ts), and docs/ai-activity.md documents it.
 */

/** The AI services aitrail recognises. */
export const AI_SERVICES = ['bedrock', 'sagemaker', 's3', 'lambda', 'ec2', 'ecr', 'llm'] as const;
/** One AI service. */
export type AiService = (typeof AI_SERVICES)[number];

/**
 * The activity classes. `compute` is aitrail's addition for accelerator capacity
 * (GPU/Inferentia/Trainium instance launches) that is neither training nor deployment by itself.
 */
export const AI_ACTIVITIES = [
  'training',
  'customization',
  'model-registry',
  'deployment',
  'inference',
  'agents',
  'guardrails',
  'invocation-logging',
  'model-access',
  'notebook',
  'data-access',
  'data-change',
  'compute',
  'other',
] as const;
/** One activity class. */
export type AiActivity = (typeof AI_ACTIVITIES)[number];

/** Extra conditions a mapping row can require, each backed by a configurable name list. */
export type AiCondition = 'aiBucket' | 'gpuInstance' | 'aiFunction' | 'aiRepository';

/** One row of the table: first matching row wins. */
export interface AiMappingRow {
  service: AiService;
  /** eventSource values; a trailing `*` matches a prefix (e.g. `bedrock*` for every Bedrock endpoint). */
  sources: string[];
  /** eventName values (Lambda's API-version suffixes are removed first); omitted = any name. */
  names?: string[];
  activity: AiActivity;
  when?: AiCondition;
}

const BEDROCK = ['bedrock*'];
const SAGEMAKER = ['sagemaker.amazonaws.com', 'api.sagemaker.amazonaws.com', 'sagemaker-*'];

/** The classification table, in priority order. */
export const AI_MAPPING: readonly AiMappingRow[] = [
  // Bedrock: runtime inference (management events, logged by default).
  {
    service: 'bedrock',
    sources: BEDROCK,
    activity: 'inference',
    names: [
      'InvokeModel', 'InvokeModelWithResponseStream', 'InvokeModelWithBidirectionalStream', 'Converse', 'ConverseStream',
      'StartAsyncInvoke', 'GetAsyncInvoke', 'ListAsyncInvokes', 'CountTokens', 'CreateModelInvocationJob',
      'GetModelInvocationJob', 'ListModelInvocationJobs', 'StopModelInvocationJob',
      // bedrock-mantle (OpenAI-compatible endpoints)
      'CreateChatCompletion', 'CreateCompletion', 'CreateResponse', 'CreateEmbedding', 'CreateEmbeddings', 'ChatCompletions',
    ],
  },
  {
    service: 'bedrock',
    sources: BEDROCK,
    activity: 'model-access',
    names: [
      'ListFoundationModels', 'GetFoundationModel', 'GetFoundationModelAvailability', 'ListFoundationModelAgreementOffers',
      'CreateFoundationModelAgreement', 'DeleteFoundationModelAgreement', 'PutFoundationModelEntitlement',
      'PutUseCaseForModelAccess', 'GetUseCaseForModelAccess', 'ListInferenceProfiles', 'GetInferenceProfile',
      'CreateInferenceProfile', 'DeleteInferenceProfile', 'ListPromptRouters', 'GetPromptRouter',
    ],
  },
  {
    service: 'bedrock',
    sources: BEDROCK,
    activity: 'invocation-logging',
    names: [
      'PutModelInvocationLoggingConfiguration', 'GetModelInvocationLoggingConfiguration', 'DeleteModelInvocationLoggingConfiguration',
    ],
  },
  {
    service: 'bedrock',
    sources: BEDROCK,
    activity: 'guardrails',
    names: [
      'CreateGuardrail', 'UpdateGuardrail', 'DeleteGuardrail', 'GetGuardrail', 'ListGuardrails', 'CreateGuardrailVersion',
      'ApplyGuardrail', 'CreateAutomatedReasoningPolicy', 'UpdateAutomatedReasoningPolicy', 'DeleteAutomatedReasoningPolicy',
    ],
  },
  {
    service: 'bedrock',
    sources: BEDROCK,
    activity: 'customization',
    names: [
      'CreateModelCustomizationJob', 'StopModelCustomizationJob', 'GetModelCustomizationJob', 'ListModelCustomizationJobs',
      'CreateModelImportJob', 'GetModelImportJob', 'ListModelImportJobs', 'CreateModelCopyJob', 'GetModelCopyJob',
      'ListModelCopyJobs', 'CreateEvaluationJob', 'StopEvaluationJob',
    ],
  },
  {
    service: 'bedrock',
    sources: BEDROCK,
    activity: 'model-registry',
    names: [
      'ListCustomModels', 'GetCustomModel', 'DeleteCustomModel', 'CreateCustomModel', 'ListImportedModels', 'GetImportedModel',
      'DeleteImportedModel', 'CreateMarketplaceModelEndpoint', 'ListMarketplaceModelEndpoints', 'RegisterMarketplaceModelEndpoint',
    ],
  },
  {
    service: 'bedrock',
    sources: BEDROCK,
    activity: 'deployment',
    names: [
      'CreateProvisionedModelThroughput', 'UpdateProvisionedModelThroughput', 'DeleteProvisionedModelThroughput',
      'GetProvisionedModelThroughput', 'ListProvisionedModelThroughputs', 'CreateCustomModelDeployment',
      'DeleteCustomModelDeployment', 'UpdateCustomModelDeployment',
    ],
  },
  {
    service: 'bedrock',
    sources: BEDROCK,
    activity: 'agents',
    names: [
      'InvokeAgent', 'InvokeInlineAgent', 'Retrieve', 'RetrieveAndGenerate', 'RetrieveAndGenerateStream', 'InvokeFlow', 'RenderPrompt',
      'CreateAgent', 'UpdateAgent', 'DeleteAgent', 'GetAgent', 'ListAgents', 'PrepareAgent', 'CreateAgentAlias', 'UpdateAgentAlias',
      'DeleteAgentAlias', 'CreateAgentActionGroup', 'UpdateAgentActionGroup', 'DeleteAgentActionGroup', 'AssociateAgentKnowledgeBase',
      'DisassociateAgentKnowledgeBase', 'CreateKnowledgeBase', 'UpdateKnowledgeBase', 'DeleteKnowledgeBase', 'GetKnowledgeBase',
      'ListKnowledgeBases', 'CreateDataSource', 'UpdateDataSource', 'DeleteDataSource', 'GetDataSource', 'ListDataSources',
      'StartIngestionJob', 'StopIngestionJob', 'IngestKnowledgeBaseDocuments', 'DeleteKnowledgeBaseDocuments', 'CreateFlow',
      'UpdateFlow', 'DeleteFlow', 'CreatePrompt', 'UpdatePrompt', 'DeletePrompt', 'CreateSession', 'EndSession',
    ],
  },
  // Bedrock AgentCore: every control- and data-plane call is agent activity.
  { service: 'bedrock', sources: ['bedrock-agentcore*'], activity: 'agents' },
  { service: 'bedrock', sources: BEDROCK, activity: 'other' },

  // SageMaker.
  {
    service: 'sagemaker',
    sources: SAGEMAKER,
    activity: 'training',
    names: [
      'CreateTrainingJob', 'StopTrainingJob', 'UpdateTrainingJob', 'DescribeTrainingJob', 'ListTrainingJobs',
      'CreateHyperParameterTuningJob', 'StopHyperParameterTuningJob', 'DescribeHyperParameterTuningJob',
      'CreateAutoMLJob', 'CreateAutoMLJobV2', 'StopAutoMLJob', 'CreateProcessingJob', 'StopProcessingJob', 'CreateTrainingPlan',
      'CreateCluster', 'UpdateCluster', 'DeleteCluster',
    ],
  },
  {
    service: 'sagemaker',
    sources: SAGEMAKER,
    activity: 'model-registry',
    names: [
      'CreateModelPackage', 'CreateModelPackageGroup', 'UpdateModelPackage', 'DeleteModelPackage', 'DeleteModelPackageGroup',
      'DescribeModelPackage', 'DescribeModelPackageGroup', 'ListModelPackages', 'ListModelPackageGroups', 'PutModelPackageGroupPolicy',
      'DeleteModelPackageGroupPolicy', 'CreateModelCard', 'UpdateModelCard',
    ],
  },
  {
    service: 'sagemaker',
    sources: SAGEMAKER,
    activity: 'deployment',
    names: [
      'CreateModel', 'DeleteModel', 'DescribeModel', 'ListModels', 'CreateEndpointConfig', 'DeleteEndpointConfig', 'CreateEndpoint',
      'UpdateEndpoint', 'UpdateEndpointWeightsAndCapacities', 'DeleteEndpoint', 'DescribeEndpoint', 'ListEndpoints',
      'CreateInferenceComponent', 'UpdateInferenceComponent', 'DeleteInferenceComponent', 'CreateTransformJob', 'StopTransformJob',
    ],
  },
  {
    service: 'sagemaker',
    sources: SAGEMAKER,
    activity: 'inference',
    names: ['InvokeEndpoint', 'InvokeEndpointAsync', 'InvokeEndpointWithResponseStream'],
  },
  {
    service: 'sagemaker',
    sources: SAGEMAKER,
    activity: 'notebook',
    names: [
      'CreatePresignedNotebookInstanceUrl', 'CreatePresignedDomainUrl', 'CreatePresignedMlflowTrackingServerUrl',
      'CreateNotebookInstance', 'UpdateNotebookInstance', 'StartNotebookInstance', 'StopNotebookInstance', 'DeleteNotebookInstance',
      'CreateNotebookInstanceLifecycleConfig', 'UpdateNotebookInstanceLifecycleConfig', 'DeleteNotebookInstanceLifecycleConfig',
      'CreateStudioLifecycleConfig', 'DeleteStudioLifecycleConfig', 'CreateDomain', 'UpdateDomain', 'DeleteDomain', 'CreateUserProfile',
      'UpdateUserProfile', 'DeleteUserProfile', 'CreateSpace', 'UpdateSpace', 'DeleteSpace', 'CreateApp', 'DeleteApp',
    ],
  },
  {
    service: 'sagemaker',
    sources: SAGEMAKER,
    activity: 'data-access',
    names: ['GetRecord', 'BatchGetRecord', 'Search'],
  },
  {
    service: 'sagemaker',
    sources: SAGEMAKER,
    activity: 'data-change',
    names: ['PutRecord', 'DeleteRecord', 'CreateFeatureGroup', 'DeleteFeatureGroup', 'UpdateFeatureGroup'],
  },
  { service: 'sagemaker', sources: SAGEMAKER, activity: 'other' },

  // S3 object-level events on buckets declared (or named) as AI data.
  {
    service: 's3',
    sources: ['s3.amazonaws.com'],
    activity: 'data-access',
    when: 'aiBucket',
    names: ['GetObject', 'HeadObject', 'GetObjectAttributes', 'SelectObjectContent', 'GetObjectTagging', 'GetObjectAcl', 'ListObjects', 'ListObjectsV2', 'ListObjectVersions', 'GetObjectVersion', 'RestoreObject'],
  },
  {
    service: 's3',
    sources: ['s3.amazonaws.com'],
    activity: 'data-change',
    when: 'aiBucket',
    names: [
      'PutObject', 'CopyObject', 'DeleteObject', 'DeleteObjects', 'CreateMultipartUpload', 'UploadPart', 'UploadPartCopy',
      'CompleteMultipartUpload', 'PutObjectAcl', 'PutObjectTagging', 'DeleteObjectTagging', 'PutObjectRetention', 'PutObjectLegalHold',
    ],
  },

  // Lambda functions named as AI workloads (RAG retrievers, agent action groups, inference glue).
  {
    service: 'lambda',
    sources: ['lambda.amazonaws.com'],
    activity: 'inference',
    when: 'aiFunction',
    names: ['Invoke', 'InvokeAsync', 'InvokeWithResponseStream'],
  },
  {
    service: 'lambda',
    sources: ['lambda.amazonaws.com'],
    activity: 'deployment',
    when: 'aiFunction',
    names: [
      'CreateFunction', 'UpdateFunctionCode', 'UpdateFunctionConfiguration', 'DeleteFunction', 'PublishVersion', 'CreateAlias',
      'UpdateAlias', 'CreateFunctionUrlConfig', 'UpdateFunctionUrlConfig', 'AddPermission', 'RemovePermission', 'PutFunctionConcurrency',
    ],
  },
  { service: 'lambda', sources: ['lambda.amazonaws.com'], activity: 'other', when: 'aiFunction' },

  // EC2 accelerator capacity.
  { service: 'ec2', sources: ['ec2.amazonaws.com'], activity: 'compute', when: 'gpuInstance', names: ['RunInstances', 'CreateFleet', 'RequestSpotInstances', 'CreateCapacityReservation'] },

  // ECR images of model serving / training containers.
  {
    service: 'ecr',
    sources: ['ecr.amazonaws.com'],
    activity: 'model-registry',
    when: 'aiRepository',
    names: ['PutImage', 'InitiateLayerUpload', 'UploadLayerPart', 'CompleteLayerUpload', 'BatchDeleteImage', 'CreateRepository', 'DeleteRepository', 'SetRepositoryPolicy', 'PutImageTagMutability'],
  },
  {
    service: 'ecr',
    sources: ['ecr.amazonaws.com'],
    activity: 'deployment',
    when: 'aiRepository',
    names: ['BatchGetImage', 'GetDownloadUrlForLayer', 'BatchCheckLayerAvailability'],
  },
  { service: 'ecr', sources: ['ecr.amazonaws.com'], activity: 'other', when: 'aiRepository' },

  // Non-AWS AI workloads recorded with aitrail's SDK (eventSource `llm.<host>`).
  { service: 'llm', sources: ['llm.*'], activity: 'inference', names: ['ChatCompletion', 'Completion', 'CreateEmbedding', 'CreateResponse', 'Generate', 'Chat'] },
  { service: 'llm', sources: ['llm.*'], activity: 'other' },
];

/** Default glob patterns (case-insensitive) naming S3 buckets that hold AI data. */
export const DEFAULT_AI_BUCKETS: readonly string[] = [
  '*training*', '*dataset*', '*sagemaker*', '*bedrock*', '*model*', '*llm*', '*genai*', '*gen-ai*', '*-ml-*', 'ml-*', '*-ml',
  '*-ai-*', 'ai-*', '*-ai', '*embedding*', '*fine-tun*', '*finetun*', '*feature-store*', '*knowledge-base*', '*-rag-*', 'rag-*', '*-rag',
];

/** Default glob patterns naming Lambda functions that are part of AI workloads. */
export const DEFAULT_AI_FUNCTIONS: readonly string[] = [
  '*bedrock*', '*llm*', '*genai*', '*gen-ai*', '*agent*', '*inference*', '*-rag-*', 'rag-*', '*-rag', '*embedding*', '*sagemaker*', '*model*', '*prompt*', '*chatbot*',
];

/** Default glob patterns naming ECR repositories of AI containers. */
export const DEFAULT_AI_REPOSITORIES: readonly string[] = [
  '*training*', '*inference*', '*serving*', '*model*', '*llm*', '*sagemaker*', '*pytorch*', '*tensorflow*', '*huggingface*', '*vllm*', '*triton*', '*-ml-*', 'ml-*', '*genai*',
];

/**
 * Instance-type families with GPUs or AI accelerators (P, G, Inferentia, Trainium, DL, FPGA F, VT),
 * matched on the family before the dot: `p4d.24xlarge`, `g5.xlarge`, `inf2.xlarge`, `trn1.2xlarge`.
 */
export const GPU_INSTANCE_FAMILY_REGEX = '^(p[0-9]|g[0-9]|gr[0-9]|inf[0-9]|trn[0-9]|dl[0-9]|f[0-9]|vt[0-9])[a-z0-9-]*\\.';

/** The name lists that back the `when` conditions; users extend or replace them per store. */
export interface AiClassificationConfig {
  aiBuckets: string[];
  aiFunctions: string[];
  aiRepositories: string[];
}

/** The defaults used when a store has no configuration of its own. */
export function defaultAiConfig(): AiClassificationConfig {
  return { aiBuckets: [...DEFAULT_AI_BUCKETS], aiFunctions: [...DEFAULT_AI_FUNCTIONS], aiRepositories: [...DEFAULT_AI_REPOSITORIES] };
}

/** Removes Lambda's API-version suffixes: `UpdateFunctionCode20150331v2` → `UpdateFunctionCode`. */
export const EVENT_NAME_VERSION_SUFFIX_REGEX = '(20[0-9]{6}(v[0-9]+)?|20[0-9]{2}_[0-9]{2}_[0-9]{2})$';

/** Renders the mapping table as Markdown rows (docs/ai-activity.md embeds this output). */
export function renderMappingMarkdown(): string {
  const head = '| service | activity | eventSource | eventName | condition |\n|---|---|---|---|---|\n';
  return (
    head +
    AI_MAPPING.map(
      (r) =>
        `| ${r.service} | ${r.activity} | ${r.sources.map((s) => '`' + s + '`').join(', ')} | ${r.names ? r.names.join(', ') : '*(any other)*'} | ${r.when ?? ''} |`,
    ).join('\n') +
    '\n'
  );
}
