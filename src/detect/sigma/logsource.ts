/**
 * Decides whether a rule's `logsource` describes AWS CloudTrail. Rules for other sources are
 * not errors: they are reported as not applicable and skipped.
 */
import type { SigmaLogsource } from './parse.js';

/** The verdict for one logsource; `reason` says why a rule was skipped. */
export interface LogsourceVerdict {
  applies: boolean;
  reason?: string;
}

/**
 * True for `product: aws` with `service: cloudtrail` or no service (a `service: cloudtrail`
 * without product is accepted too). Any `category` is not applicable: no Sigma taxonomy category
 * maps onto raw CloudTrail records.
 */
export function cloudTrailApplies(ls: SigmaLogsource | undefined): LogsourceVerdict {
  if (!ls) return { applies: false, reason: 'no logsource' };
  const product = ls.product?.toLowerCase();
  const service = ls.service?.toLowerCase();
  const describe = () =>
    Object.entries(ls)
      .filter(([k, v]) => v !== undefined && k !== 'definition')
      .map(([k, v]) => `${k}: ${v}`)
      .join(', ') || 'empty logsource';
  if (ls.category !== undefined) return { applies: false, reason: `logsource category '${ls.category}' is not AWS CloudTrail (${describe()})` };
  if (product === undefined && service === 'cloudtrail') return { applies: true };
  if (product !== 'aws') return { applies: false, reason: `logsource is not AWS CloudTrail (${describe()})` };
  if (service !== undefined && service !== 'cloudtrail') return { applies: false, reason: `logsource service '${ls.service}' is not cloudtrail (${describe()})` };
  return { applies: true };
}
