/**
 * Event selectors with CloudTrail's semantics (reference §4): advanced selectors (validated with
 * CloudTrail-like messages and compiled to a predicate), basic `EventSelectors` (converted to the
 * advanced form), and the `--preset genai` selector set.
 *
 * Matching rules (CloudTrail states some only by example; the choices are ours where noted):
 * - an event is selected when ANY selector matches; a selector matches when ALL its field
 *   selectors match;
 * - positive operators (Equals, StartsWith, EndsWith) hold when ANY of their values matches;
 *   negative operators (NotEquals, NotStartsWith, NotEndsWith) hold when NONE of their values matches;
 * - several operators inside one field selector (semantics NOT FOUND): all of them must hold;
 * - comparisons are case-sensitive and literal (`*` is an ordinary character);
 * - `eventCategory` is the record's `eventCategory`, or `Management` when absent; `readOnly` is
 *   compared as the string "true"/"false"; `sessionCredentialFromConsole` is present only when
 *   true, so an absent value compares as "false";
 * - `resources.type` / `resources.ARN` look at each entry of `resources[]`: a selector's
 *   resources.* conditions must all hold on the SAME resource, and ANY resource may be that one
 *   (an event without resources never matches a resources.* condition);
 * - any other absent field fails positive operators and satisfies negative ones.
 */
import { z } from 'zod';
import { AitrailError } from '../model/errors.js';

/** The six operators of an advanced field selector. */
export const OPERATORS = ['Equals', 'StartsWith', 'EndsWith', 'NotEquals', 'NotStartsWith', 'NotEndsWith'] as const;
/** One of the six operators. */
export type Operator = (typeof OPERATORS)[number];

/** The fields advanced selectors may name. */
export const SELECTOR_FIELDS = [
  'eventCategory',
  'eventSource',
  'readOnly',
  'eventName',
  'eventType',
  'resources.type',
  'resources.ARN',
  'sessionCredentialFromConsole',
  'userIdentity.arn',
  'errorCode',
  'vpcEndpointId',
] as const;

/** Event categories accepted by `eventCategory` (trails use the first three; event data stores all). */
export const EVENT_CATEGORIES = ['Management', 'Data', 'NetworkActivity', 'Insight', 'ConfigurationItem', 'Evidence', 'ActivityAuditLog'] as const;

const values = z.array(z.string()).optional();

/** One advanced field selector (shape only; `validateAdvancedSelectors` checks the rules). */
export const AdvancedFieldSelectorSchema = z.object({
  Field: z.string(),
  Equals: values,
  StartsWith: values,
  EndsWith: values,
  NotEquals: values,
  NotStartsWith: values,
  NotEndsWith: values,
});
/** One advanced field selector. */
export type AdvancedFieldSelector = z.infer<typeof AdvancedFieldSelectorSchema>;

/** One advanced event selector. */
export const AdvancedEventSelectorSchema = z.object({
  Name: z.string().max(1000).optional(),
  FieldSelectors: z.array(AdvancedFieldSelectorSchema),
});
/** One advanced event selector. */
export type AdvancedEventSelector = z.infer<typeof AdvancedEventSelectorSchema>;

/** A list of advanced event selectors (`AdvancedEventSelectors`). */
export const AdvancedEventSelectorsSchema = z.array(AdvancedEventSelectorSchema);

/** The three data-resource types of basic selectors. */
export const BASIC_DATA_RESOURCE_TYPES = ['AWS::S3::Object', 'AWS::Lambda::Function', 'AWS::DynamoDB::Table'] as const;

/** One basic event selector (`EventSelectors`, trails only). */
export const EventSelectorSchema = z.object({
  ReadWriteType: z.enum(['ReadOnly', 'WriteOnly', 'All']).default('All'),
  IncludeManagementEvents: z.boolean().default(true),
  DataResources: z.array(z.object({ Type: z.enum(BASIC_DATA_RESOURCE_TYPES), Values: z.array(z.string().min(1)) })).default([]),
  ExcludeManagementEventSources: z.array(z.enum(['kms.amazonaws.com', 'rdsdata.amazonaws.com'])).default([]),
});
/** One basic event selector. */
export type EventSelector = z.infer<typeof EventSelectorSchema>;

/** A trail's selector configuration: basic OR advanced, never both; neither means all management events. */
export const TrailSelectorsSchema = z
  .object({ EventSelectors: z.array(EventSelectorSchema).max(5).optional(), AdvancedEventSelectors: AdvancedEventSelectorsSchema.optional() })
  .refine((s) => !(s.EventSelectors && s.AdvancedEventSelectors), { message: 'a trail uses EventSelectors or AdvancedEventSelectors, not both' });
/** A trail's selector configuration. */
export type TrailSelectors = z.infer<typeof TrailSelectorsSchema>;

/** A compiled selector set: true when the record is selected. */
export type RecordPredicate = (record: Record<string, unknown>) => boolean;

const FIELD_PATTERN = /^[\w|\d|.|_]+$/;
const MAX_VALUES = 500;
const MAX_VALUE_LEN = 2048;

function invalid(message: string): AitrailError {
  return new AitrailError('CONFIG_INVALID', message);
}

/**
 * Validates advanced selectors against CloudTrail's rules and returns them typed; throws
 * AitrailError CONFIG_INVALID naming the selector index and field of the first problem.
 */
export function validateAdvancedSelectors(input: unknown): AdvancedEventSelector[] {
  const parsed = AdvancedEventSelectorsSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw invalid(`Invalid AdvancedEventSelectors at ${pathText(issue.path)}: ${issue.message}`);
  }
  const selectors = parsed.data;
  let total = 0;
  selectors.forEach((sel, i) => {
    const where = `AdvancedEventSelectors[${i}]${sel.Name ? ` ("${sel.Name}")` : ''}`;
    if (sel.FieldSelectors.length === 0) throw invalid(`${where}: FieldSelectors must contain at least one field selector`);
    const seen = new Set<string>();
    let categories: string[] | null = null;
    sel.FieldSelectors.forEach((fs, j) => {
      const at = `${where}.FieldSelectors[${j}]`;
      if (fs.Field.length < 1 || fs.Field.length > 1000 || !FIELD_PATTERN.test(fs.Field)) {
        throw invalid(`${at}: Field "${fs.Field}" does not match the pattern [\\w|\\d|\\.|_]+ (1-1000 characters)`);
      }
      if (!(SELECTOR_FIELDS as readonly string[]).includes(fs.Field)) {
        throw invalid(`${at}: Field "${fs.Field}" is not supported; supported fields: ${SELECTOR_FIELDS.join(', ')}`);
      }
      if (seen.has(fs.Field)) {
        throw invalid(`${at}: Field "${fs.Field}" appears in more than one field selector; CloudTrail does not allow two field selectors on the same field`);
      }
      seen.add(fs.Field);
      const ops = OPERATORS.filter((op) => fs[op] !== undefined);
      if (ops.length === 0) throw invalid(`${at}: Field "${fs.Field}" has no operator; use one of ${OPERATORS.join(', ')}`);
      for (const op of ops) {
        const vals = fs[op]!;
        if (vals.length === 0) throw invalid(`${at}: Field "${fs.Field}" ${op} must contain at least one value`);
        vals.forEach((v, k) => {
          if (v.length < 1 || v.length > MAX_VALUE_LEN) {
            throw invalid(`${at}: Field "${fs.Field}" ${op}[${k}] must be 1-${MAX_VALUE_LEN} characters long (got ${v.length})`);
          }
        });
        total += vals.length;
      }
      if (fs.Field === 'eventCategory') {
        if (ops.some((op) => op !== 'Equals')) throw invalid(`${at}: Field "eventCategory" supports only the Equals operator`);
        for (const v of fs.Equals!) {
          if (!(EVENT_CATEGORIES as readonly string[]).includes(v)) {
            throw invalid(`${at}: Field "eventCategory" value "${v}" is not a valid event category; valid categories: ${EVENT_CATEGORIES.join(', ')}`);
          }
        }
        categories = fs.Equals!;
      }
      if (fs.Field === 'resources.type' && ops.some((op) => op !== 'Equals')) {
        throw invalid(`${at}: Field "resources.type" supports only the Equals operator`);
      }
    });
    if (categories === null) throw invalid(`${where}: a field selector on eventCategory is required`);
    if ((categories as string[]).includes('Data') && !seen.has('resources.type')) {
      throw invalid(`${where}: selectors for Data events require a field selector on resources.type`);
    }
  });
  if (total > MAX_VALUES) throw invalid(`AdvancedEventSelectors: ${total} values in total across all conditions; at most ${MAX_VALUES} are allowed`);
  return selectors;
}

function pathText(path: PropertyKey[]): string {
  return path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '') || '(root)';
}

type Test = (v: string) => boolean;

function compileOps(fs: AdvancedFieldSelector): Test {
  const tests: Test[] = [];
  for (const op of OPERATORS) {
    const vals = fs[op];
    if (!vals) continue;
    switch (op) {
      case 'Equals': {
        const set = new Set(vals);
        tests.push((v) => set.has(v));
        break;
      }
      case 'NotEquals': {
        const set = new Set(vals);
        tests.push((v) => !set.has(v));
        break;
      }
      case 'StartsWith':
        tests.push((v) => vals.some((x) => v.startsWith(x)));
        break;
      case 'NotStartsWith':
        tests.push((v) => !vals.some((x) => v.startsWith(x)));
        break;
      case 'EndsWith':
        tests.push((v) => vals.some((x) => v.endsWith(x)));
        break;
      case 'NotEndsWith':
        tests.push((v) => !vals.some((x) => v.endsWith(x)));
        break;
    }
  }
  return tests.length === 1 ? tests[0]! : (v) => tests.every((t) => t(v));
}

function onlyNegative(fs: AdvancedFieldSelector): boolean {
  return fs.Equals === undefined && fs.StartsWith === undefined && fs.EndsWith === undefined;
}

function scalar(record: Record<string, unknown>, field: string): string | undefined {
  switch (field) {
    case 'eventCategory':
      return typeof record.eventCategory === 'string' ? record.eventCategory : 'Management';
    case 'readOnly': {
      const v = record.readOnly;
      return typeof v === 'boolean' ? String(v) : typeof v === 'string' ? v : undefined;
    }
    case 'sessionCredentialFromConsole': {
      const v = record.sessionCredentialFromConsole;
      return v === undefined || v === null ? 'false' : String(v);
    }
    case 'userIdentity.arn': {
      const u = record.userIdentity as Record<string, unknown> | undefined;
      return u && typeof u === 'object' && typeof u.arn === 'string' ? u.arn : undefined;
    }
    default: {
      const v = record[field];
      return typeof v === 'string' ? v : undefined;
    }
  }
}

/** Compiles validated advanced selectors into a predicate (an empty list selects nothing). */
export function compileSelectors(advanced: unknown): RecordPredicate {
  const selectors = validateAdvancedSelectors(advanced);
  const compiled = selectors.map((sel) => {
    const scalars: Array<{ field: string; test: Test; absentOk: boolean }> = [];
    const res: Array<{ key: 'type' | 'ARN'; test: Test }> = [];
    for (const fs of sel.FieldSelectors) {
      const test = compileOps(fs);
      if (fs.Field === 'resources.type' || fs.Field === 'resources.ARN') res.push({ key: fs.Field === 'resources.type' ? 'type' : 'ARN', test });
      else scalars.push({ field: fs.Field, test, absentOk: onlyNegative(fs) });
    }
    return (r: Record<string, unknown>): boolean => {
      for (const s of scalars) {
        const v = scalar(r, s.field);
        if (v === undefined ? !s.absentOk : !s.test(v)) return false;
      }
      if (res.length === 0) return true;
      const resources = Array.isArray(r.resources) ? (r.resources as unknown[]) : [];
      return resources.some((x) => {
        if (!x || typeof x !== 'object') return false;
        const o = x as Record<string, unknown>;
        return res.every((c) => typeof o[c.key] === 'string' && c.test(o[c.key] as string));
      });
    };
  });
  return (r) => compiled.some((m) => m(r));
}

/** Parses basic selectors (defaults applied). */
export function parseEventSelectors(input: unknown): EventSelector[] {
  const parsed = z.array(EventSelectorSchema).max(5).safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw invalid(`Invalid EventSelectors at ${pathText(issue.path)}: ${issue.message}`);
  }
  return parsed.data;
}

const ALL_RESOURCES: Record<(typeof BASIC_DATA_RESOURCE_TYPES)[number], string[]> = {
  'AWS::S3::Object': ['arn:aws:s3', 'arn:aws:s3:::'],
  'AWS::Lambda::Function': ['arn:aws:lambda'],
  'AWS::DynamoDB::Table': ['arn:aws:dynamodb'],
};

/**
 * Converts basic selectors to the equivalent advanced form: S3 values are ARN prefixes
 * (StartsWith), Lambda function and DynamoDB table ARNs match exactly (Equals), and the
 * service-wide values (`arn:aws:s3`, `arn:aws:lambda`, `arn:aws:dynamodb`) select every resource.
 */
export function basicToAdvanced(basic: unknown): AdvancedEventSelector[] {
  const out: AdvancedEventSelector[] = [];
  parseEventSelectors(basic).forEach((b, i) => {
    const rw: AdvancedFieldSelector[] = b.ReadWriteType === 'All' ? [] : [{ Field: 'readOnly', Equals: [b.ReadWriteType === 'ReadOnly' ? 'true' : 'false'] }];
    if (b.IncludeManagementEvents) {
      out.push({
        Name: `EventSelectors[${i}] management events`,
        FieldSelectors: [
          { Field: 'eventCategory', Equals: ['Management'] },
          ...rw,
          ...(b.ExcludeManagementEventSources.length ? [{ Field: 'eventSource', NotEquals: b.ExcludeManagementEventSources }] : []),
        ],
      });
    }
    for (const dr of b.DataResources) {
      const base: AdvancedFieldSelector[] = [{ Field: 'eventCategory', Equals: ['Data'] }, { Field: 'resources.type', Equals: [dr.Type] }, ...rw];
      const name = `EventSelectors[${i}] ${dr.Type}`;
      if (dr.Values.some((v) => ALL_RESOURCES[dr.Type].includes(v))) {
        out.push({ Name: name, FieldSelectors: base });
        continue;
      }
      const starts = dr.Type === 'AWS::S3::Object' ? dr.Values : [];
      const exact = dr.Type === 'AWS::S3::Object' ? [] : dr.Values;
      if (starts.length) out.push({ Name: name, FieldSelectors: [...base, { Field: 'resources.ARN', StartsWith: starts }] });
      if (exact.length) out.push({ Name: name, FieldSelectors: [...base, { Field: 'resources.ARN', Equals: exact }] });
    }
  });
  return out;
}

/** Compiles a trail's selector configuration; with no selectors, all management events are selected. */
export function compileTrailSelectors(config: unknown): RecordPredicate {
  const parsed = TrailSelectorsSchema.safeParse(config ?? {});
  if (!parsed.success) throw invalid(`Invalid event selectors: ${parsed.error.issues[0]!.message}`);
  const s = parsed.data;
  if (s.AdvancedEventSelectors) return compileSelectors(s.AdvancedEventSelectors);
  if (s.EventSelectors) return compileSelectors(basicToAdvanced(s.EventSelectors));
  return compileSelectors([{ Name: 'default: all management events', FieldSelectors: [{ Field: 'eventCategory', Equals: ['Management'] }] }]);
}

/** Bedrock and Bedrock AgentCore data-event resource types (2024 SDK list plus the 2026 AIW additions). */
export const BEDROCK_DATA_RESOURCE_TYPES = [
  ...['AgentAlias', 'FlowAlias', 'Guardrail', 'KnowledgeBase', 'Model', 'AsyncInvoke', 'InlineAgent', 'PromptVersion', 'Session', 'FlowExecution',
    'AutomatedReasoningPolicy', 'AutomatedReasoningPolicyVersion', 'DataAutomationProject', 'DataAutomationInvocation', 'DataAutomationProfile',
    'Blueprint', 'AdvancedOptimizePromptJob', 'Tool'].map((t) => `AWS::Bedrock::${t}`),
  ...['CodeInterpreter', 'CodeInterpreterCustom', 'Browser', 'BrowserCustom', 'WorkloadIdentity', 'WorkloadIdentityDirectory', 'TokenVault',
    'OAuth2CredentialProvider', 'APIKeyCredentialProvider', 'Runtime', 'RuntimeEndpoint', 'Gateway', 'Memory', 'Evaluator'].map((t) => `AWS::BedrockAgentCore::${t}`),
];

/**
 * Bucket-name prefixes the genai preset treats as AI data by default. Advanced selectors have no
 * "contains" operator, so names like `*training*` cannot be expressed; these are the common
 * leading words of AI bucket names (SageMaker's default bucket is `sagemaker-<region>-<account>`).
 */
export const DEFAULT_AI_BUCKET_NAME_PREFIXES = [
  'sagemaker-', 'bedrock-', 'ai-', 'ml-', 'genai-', 'llm-', 'training-', 'train-', 'dataset-', 'datasets-', 'data-science-', 'model-', 'models-', 'rag-', 'embeddings-', 'feature-store-',
];

/** Options of the genai preset. */
export const GenaiPresetOptionsSchema = z.object({
  /** `resources.ARN` StartsWith values for S3 object data events (default: the AI bucket-name prefixes). */
  s3ArnPrefixes: z.array(z.string().min(1)).min(1).optional(),
  /** `resources.ARN` StartsWith values for Lambda data events (default: every function). */
  lambdaArnPrefixes: z.array(z.string().min(1)).min(1).optional(),
});
/** Options of the genai preset. */
export type GenaiPresetOptions = z.infer<typeof GenaiPresetOptionsSchema>;

/**
 * Turns bucket globs (as in `aitrail ai-config --ai-buckets`) into S3 ARN prefixes: a glob with a
 * literal start (`acme-corpus-*`, `research-data`) becomes `arn:aws:s3:::acme-corpus-`; globs that
 * start with `*` cannot be expressed as a prefix and are returned in `unsupported`.
 */
export function bucketGlobsToArnPrefixes(globs: readonly string[]): { prefixes: string[]; unsupported: string[] } {
  const prefixes: string[] = [];
  const unsupported: string[] = [];
  for (const g of globs) {
    const star = g.search(/[*?]/);
    const lit = star < 0 ? `${g}/` : g.slice(0, star);
    if (!lit) unsupported.push(g);
    else prefixes.push(`arn:aws:s3:::${lit}`);
  }
  return { prefixes: [...new Set(prefixes)], unsupported };
}

/**
 * The `--preset genai` selectors: management events of Bedrock (every eventSource starting
 * `bedrock`), SageMaker, Lambda and EC2; Bedrock/AgentCore and SageMaker data events; S3 object
 * data events on AI data buckets; Lambda invocations; and every management event of aitrail's own
 * self-audit source (eventSource ending `aitrail.local`). Intended for aitrail trails and event
 * data stores: an AWS trail accepts only NotEquals on eventSource for management events.
 */
export function genaiPreset(options: GenaiPresetOptions = {}): AdvancedEventSelector[] {
  const o = GenaiPresetOptionsSchema.parse(options);
  const s3 = o.s3ArnPrefixes ?? DEFAULT_AI_BUCKET_NAME_PREFIXES.map((p) => `arn:aws:s3:::${p}`);
  const sel: AdvancedEventSelector[] = [
    {
      Name: 'AI management events (Bedrock, SageMaker, Lambda, EC2)',
      FieldSelectors: [
        { Field: 'eventCategory', Equals: ['Management'] },
        { Field: 'eventSource', StartsWith: ['bedrock', 'sagemaker.', 'api.sagemaker.', 'runtime.sagemaker.', 'lambda.', 'ec2.'] },
      ],
    },
    { Name: 'aitrail self-audit', FieldSelectors: [{ Field: 'eventCategory', Equals: ['Management'] }, { Field: 'eventSource', EndsWith: ['aitrail.local'] }] },
    { Name: 'Bedrock data events', FieldSelectors: [{ Field: 'eventCategory', Equals: ['Data'] }, { Field: 'resources.type', Equals: BEDROCK_DATA_RESOURCE_TYPES }] },
    {
      Name: 'SageMaker data events',
      FieldSelectors: [
        { Field: 'eventCategory', Equals: ['Data'] },
        { Field: 'resources.type', Equals: ['AWS::SageMaker::Endpoint', 'AWS::SageMaker::FeatureGroup', 'AWS::SageMaker::ExperimentTrialComponent'] },
      ],
    },
    {
      Name: 'S3 objects in AI data buckets',
      FieldSelectors: [
        { Field: 'eventCategory', Equals: ['Data'] },
        { Field: 'resources.type', Equals: ['AWS::S3::Object'] },
        { Field: 'resources.ARN', StartsWith: s3 },
      ],
    },
    {
      Name: 'Lambda invocations',
      FieldSelectors: [
        { Field: 'eventCategory', Equals: ['Data'] },
        { Field: 'resources.type', Equals: ['AWS::Lambda::Function'] },
        ...(o.lambdaArnPrefixes ? [{ Field: 'resources.ARN', StartsWith: o.lambdaArnPrefixes }] : []),
      ],
    },
  ];
  return validateAdvancedSelectors(sel);
}

/** The genai preset with default options. */
export const GENAI_PRESET: readonly AdvancedEventSelector[] = Object.freeze(genaiPreset());
