/** Branch conditions are data (`{var, op, value}`), evaluated here and nowhere else — nothing is ever eval'd. */
import type { Comparison, Condition } from './flow-schema';

type Data = Record<string, string | number | boolean>;

function compare(c: Comparison, data: Data): boolean {
  const v = data[c.var];
  switch (c.op) {
    case 'exists':
      return v !== undefined && v !== '';
    case 'missing':
      return v === undefined || v === '';
    case 'eq':
      return v === c.value || (v !== undefined && String(v) === String(c.value));
    case 'neq':
      return !(v === c.value || (v !== undefined && String(v) === String(c.value)));
    case 'in':
      return Array.isArray(c.value) && v !== undefined && c.value.map(String).includes(String(v));
    case 'lt':
    case 'lte':
    case 'gt':
    case 'gte': {
      const a = Number(v);
      const b = Number(c.value);
      if (v === undefined || Number.isNaN(a) || Number.isNaN(b)) return false;
      return c.op === 'lt' ? a < b : c.op === 'lte' ? a <= b : c.op === 'gt' ? a > b : a >= b;
    }
  }
}

export function evaluateCondition(cond: Condition, data: Data): boolean {
  if ('all' in cond) return cond.all.every((c) => compare(c, data));
  if ('any' in cond) return cond.any.some((c) => compare(c, data));
  return compare(cond, data);
}
