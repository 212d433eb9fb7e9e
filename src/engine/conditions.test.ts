import { evaluateCondition } from './conditions';
import { conditionSchema, type Condition } from './flow-schema';

const data = { familySize: 5, income: '3000', housing: 'rented', empty: '', agreed: true, zero: 0 };
// Conditions go through the schema, as they would from a flow file, so a test cannot use a shape flows cannot.
const when = (raw: unknown): Condition => conditionSchema.parse(raw);

describe('evaluateCondition: one comparison', () => {
  test.each([
    ['exists: set', { var: 'housing', op: 'exists' }, true],
    ['exists: zero is a value', { var: 'zero', op: 'exists' }, true],
    ['exists: empty text is not', { var: 'empty', op: 'exists' }, false],
    ['exists: unset', { var: 'nothing', op: 'exists' }, false],
    ['missing: unset', { var: 'nothing', op: 'missing' }, true],
    ['missing: empty text', { var: 'empty', op: 'missing' }, true],
    ['missing: set', { var: 'housing', op: 'missing' }, false],
    ['eq: same text', { var: 'housing', op: 'eq', value: 'rented' }, true],
    ['eq: other text', { var: 'housing', op: 'eq', value: 'owned' }, false],
    ['eq: number against numeric text', { var: 'familySize', op: 'eq', value: '5' }, true],
    ['eq: numeric text against number', { var: 'income', op: 'eq', value: 3000 }, true],
    ['eq: boolean', { var: 'agreed', op: 'eq', value: true }, true],
    ['eq: boolean against its text', { var: 'agreed', op: 'eq', value: 'true' }, true],
    ['eq: unset never equals', { var: 'nothing', op: 'eq', value: 'undefined' }, false],
    ['neq: different', { var: 'housing', op: 'neq', value: 'owned' }, true],
    ['neq: same', { var: 'housing', op: 'neq', value: 'rented' }, false],
    ['neq: number against numeric text', { var: 'familySize', op: 'neq', value: '5' }, false],
    ['neq: unset differs from anything', { var: 'nothing', op: 'neq', value: 'x' }, true],
    ['in: listed', { var: 'housing', op: 'in', value: ['owned', 'rented'] }, true],
    ['in: not listed', { var: 'housing', op: 'in', value: ['owned', 'family'] }, false],
    ['in: number listed as number', { var: 'familySize', op: 'in', value: [4, 5] }, true],
    ['in: unset', { var: 'nothing', op: 'in', value: ['x'] }, false],
    ['in: value not a list', { var: 'housing', op: 'in', value: 'rented' }, false],
    ['lt: below', { var: 'familySize', op: 'lt', value: 6 }, true],
    ['lt: equal', { var: 'familySize', op: 'lt', value: 5 }, false],
    ['lte: equal', { var: 'familySize', op: 'lte', value: 5 }, true],
    ['lte: above', { var: 'familySize', op: 'lte', value: 4 }, false],
    ['gt: above', { var: 'familySize', op: 'gt', value: 4 }, true],
    ['gt: equal', { var: 'familySize', op: 'gt', value: 5 }, false],
    ['gte: equal', { var: 'familySize', op: 'gte', value: 5 }, true],
    ['gte: below', { var: 'familySize', op: 'gte', value: 6 }, false],
    ['gt: numeric text compares as a number, not as text', { var: 'income', op: 'gt', value: 500 }, true],
    ['lt: numeric text compares as a number, not as text', { var: 'income', op: 'lt', value: '20000' }, true],
    ['gt: unset is never greater', { var: 'nothing', op: 'gt', value: -1 }, false],
    ['lt: unset is never smaller', { var: 'nothing', op: 'lt', value: 1 }, false],
    ['gt: non-numeric text is never greater', { var: 'housing', op: 'gt', value: 0 }, false],
    ['lte: non-numeric bound', { var: 'familySize', op: 'lte', value: 'many' }, false],
  ])('%s', (_what, raw, expected) => {
    expect(evaluateCondition(when(raw), data)).toBe(expected);
  });
});

describe('evaluateCondition: all / any', () => {
  const big = { var: 'familySize', op: 'gte', value: 5 };
  const rented = { var: 'housing', op: 'eq', value: 'rented' };
  const owned = { var: 'housing', op: 'eq', value: 'owned' };
  const unset = { var: 'nothing', op: 'exists' };

  test.each([
    ['all: every one holds', { all: [big, rented] }, true],
    ['all: one fails', { all: [big, owned] }, false],
    ['all: a single comparison', { all: [rented] }, true],
    ['any: one holds', { any: [owned, big] }, true],
    ['any: none holds', { any: [owned, unset] }, false],
    ['any: a single comparison', { any: [owned] }, false],
  ])('%s', (_what, raw, expected) => {
    expect(evaluateCondition(when(raw), data)).toBe(expected);
  });

  test('the schema refuses an empty list and mixing all with any', () => {
    expect(conditionSchema.safeParse({ all: [] }).success).toBe(false);
    expect(conditionSchema.safeParse({ all: [big], any: [owned] }).success).toBe(false);
    expect(conditionSchema.safeParse({ var: 'x', op: 'matches', value: '.*' }).success).toBe(false);
  });
});
