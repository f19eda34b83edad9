/**
 * Renders a parsed filter pattern back to pattern text with every compound operand in explicit
 * parentheses, so users can see how `&&`/`||` precedence was read. The output parses back to the
 * same AST.
 */
import type { FilterValue, JsonExpr, MetricFilterAst, SpaceExpr, Term } from './parse.js';

/** Quotes `text` as a filter-pattern string, escaping `\` and `"` like the AWS CDK does. */
export function quote(text: string): string {
  return '"' + text.replace(/\\/g, '\\\\').replace(/"/g, '\\"') + '"';
}

function value(v: FilterValue): string {
  if (v.kind === 'number') return v.text;
  if (v.kind === 'regex') return `%${v.source}%`;
  return quote(v.text);
}

function json(e: JsonExpr, nested: boolean): string {
  switch (e.type) {
    case 'and':
    case 'or': {
      const s = e.children.map((c) => json(c, true)).join(e.type === 'and' ? ' && ' : ' || ');
      return nested ? `(${s})` : s;
    }
    case 'compare':
      return `${e.selector} ${e.op} ${value(e.value)}`;
    case 'is':
      return `${e.selector} IS ${e.test}`;
    case 'notExists':
      return `${e.selector} NOT EXISTS`;
  }
}

function space(e: SpaceExpr, nested: boolean): string {
  if (e.type === 'compare') return `${e.field} ${e.op} ${value(e.value)}`;
  const s = e.children.map((c) => space(c, true)).join(e.type === 'and' ? ' && ' : ' || ');
  return nested ? `(${s})` : s;
}

function term(t: Term): string {
  const body = t.regex ? `%${t.text}%` : /^[A-Za-z0-9_]+$/.test(t.text) ? t.text : quote(t.text);
  return (t.exclude ? '-' : '') + body;
}

/** Renders an AST as pattern text with explicit parentheses around every nested `&&`/`||`. */
export function formatAst(ast: MetricFilterAst): string {
  switch (ast.kind) {
    case 'all':
      return '""';
    case 'json':
      return `{ ${json(ast.expr, false)} }`;
    case 'space':
      return '[' + ast.columns.map((c) => (c.condition ? space(c.condition, false) : c.name)).join(', ') + ']';
    case 'terms':
      if (ast.groups.length === 1) return ast.groups[0].terms.map(term).join(' ');
      return ast.groups.map((g) => g.terms.map((t, i) => (i === 0 ? '?' : '') + term(t)).join(' ')).join(' ');
  }
}
