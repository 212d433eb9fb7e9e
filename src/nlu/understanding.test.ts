import path from 'node:path';
import { existsSync, readFileSync } from 'node:fs';
import { evaluateNlu, parseEvalJsonl, EvalFileError } from './evaluate-nlu';
import { defaultHandoffPolicy, handoffPolicySchema } from './handoff-policy-schema';
import { loadNluFiles } from './load-nlu-files';
import { routeMessage } from './route-message';
import { buildUnderstanding, understandingResultSchema, type Understanding } from './understanding';

const flowsDir = path.join(__dirname, '../../flows');
const devSetPath = path.join(__dirname, '../../../shared/eval/nlu-dev.jsonl');

let understanding: Understanding;
// How long training takes is a benchmark figure (bench/run.ts), not a test assertion.
beforeAll(async () => {
  understanding = await buildUnderstanding(loadNluFiles(flowsDir));
});

describe('urgent messages are always urgent and go to a person at once', () => {
  // Our own crisis wordings (not from any eval set): every kind of danger the policy names.
  test.each([
    'طليقي واقف عند الباب ويهددني وانا لحالي مع البنات',
    'زوج امي يضربني ويحبسني في الغرفه',
    'والله تعبت وافكر انتحر الليله',
    'ما عاد ابي اعيش بهالدنيا',
    'امي طاحت ومغمى عليها وما ترد',
    'ولدي عنده ربو ويختنق وما عندي سياره',
    'طردنا المؤجر وحنا الحين بالشارع مع الاطفال',
    'عيالي جوعانين وما عندنا اكل ولا ريال',
    'الرضيع ما عنده حليب من امس',
    'جيراننا يعذبون بنتهم الصغيره ونسمع صراخها',
    'my ex is threatening to kill me tonight',
    'my son is not breathing properly, please help',
    'zoji ydrebni kil yom',
    'الكهربا مقطوعه وابوي على جهاز اكسجين',
  ])('%s', (text) => {
    const result = understanding.understand(text);
    expect(result.urgent).toBe(true);
    expect(result.intent).toBe('urgent_human');
    expect(routeMessage(result, defaultHandoffPolicy).route).toBe('urgent_human');
  });

  test('urgency words alone do not make a message urgent', () => {
    for (const text of ['ضروري ابي اعرف متى الرد', 'طلبي مستعجل الله يعافيكم']) {
      expect(understanding.understand(text).urgent).toBe(false);
    }
  });

  test('an organisation can add its own urgent keywords without code', async () => {
    const files = loadNluFiles(flowsDir);
    const text = 'ابي ابلغ عن كود ازرق في ملفنا';
    expect(understanding.understand(text).urgent).toBe(false);
    const extended = await buildUnderstanding({ ...files, policy: handoffPolicySchema.parse({ extraUrgentKeywords: ['كود ازرق'] }) });
    expect(extended.understand(text).urgent).toBe(true);
  });
});

describe('understand', () => {
  test('returns a result that satisfies its schema, with a runner-up and confidences in 0..1', () => {
    const result = understanding.understand('ابغى اعرف وش صار على طلبي REQ-10482');
    expect(() => understandingResultSchema.parse(result)).not.toThrow();
    expect(result.confidence).toBeGreaterThan(0);
    expect(result.confidence).toBeLessThanOrEqual(1);
    expect(result.runnerUp).not.toBeNull();
    expect(result.runnerUp!.confidence).toBeLessThanOrEqual(result.confidence);
    expect(result.entities.referenceNumbers).toEqual(['REQ-10482']);
  });

  test('a message that is only a reference number asks for its status', () => {
    expect(understanding.understand('REQ-55123').intent).toBe('request_status');
  });

  test('keyboard mash is unclear and leads to a clarifying question', () => {
    const result = understanding.understand('خحهعغفق');
    expect(result.intent).toBe('unclear');
    expect(routeMessage(result, defaultHandoffPolicy).route).toBe('clarify');
  });

  test('FAQ intents carry an FAQ entry of the same intent', () => {
    const files = loadNluFiles(flowsDir);
    const result = understanding.understand('وش الاوراق اللي لازم اجيبها معي؟');
    expect(result.faq).not.toBeNull();
    const entry = files.faq.entries.find((e) => e.id === result.faq!.id);
    expect(entry?.intent).toBe(result.intent);
  });
});

describe('routeMessage', () => {
  const base = { faq: null, entities: { referenceNumbers: [], nationalIds: [], mobiles: [] }, urgent: false, runnerUp: null };

  test('explicit wish for a person goes to a human, a complaint to the complaint flow, even at low confidence', () => {
    expect(routeMessage({ ...base, intent: 'talk_to_human', confidence: 0.2 }, defaultHandoffPolicy).route).toBe('human');
    expect(routeMessage({ ...base, intent: 'complaint', confidence: 0.2 }, defaultHandoffPolicy)).toMatchObject({ route: 'start_flow', flow: 'complaint' });
  });

  test('low confidence asks one question offering the top two intents', () => {
    const decision = routeMessage(
      { ...base, intent: 'aid_types', confidence: 0.3, runnerUp: { intent: 'apply_support', confidence: 0.25 } },
      defaultHandoffPolicy,
    );
    expect(decision).toMatchObject({ route: 'clarify', options: ['aid_types', 'apply_support'], countsAsMiss: true });
  });

  test('urgent wins over everything', () => {
    expect(routeMessage({ ...base, intent: 'greeting', confidence: 0.9, urgent: true }, defaultHandoffPolicy).route).toBe('urgent_human');
  });

  test('confident FAQ intents answer, flow intents start their flow, greetings get a reply', () => {
    expect(routeMessage({ ...base, intent: 'contact_info', confidence: 0.9, faq: { id: 'channels-and-hours', confidence: 0.9 } }, defaultHandoffPolicy)).toMatchObject({ route: 'answer_faq', faqId: 'channels-and-hours' });
    expect(routeMessage({ ...base, intent: 'volunteer', confidence: 0.9 }, defaultHandoffPolicy)).toMatchObject({ route: 'start_flow', flow: 'volunteer' });
    expect(routeMessage({ ...base, intent: 'greeting', confidence: 0.9 }, defaultHandoffPolicy).route).toBe('reply');
  });
});

describe('eval file parsing', () => {
  test('a bad line is reported with its line number', () => {
    const content = '{"text":"مرحبا","intent":"greeting"}\n{"text":"x","intent":"nope"}\n';
    expect(() => parseEvalJsonl(content, 'x.jsonl')).toThrow(EvalFileError);
    expect(() => parseEvalJsonl(content, 'x.jsonl')).toThrow(/x\.jsonl:2/);
    expect(() => parseEvalJsonl('not json', 'y.jsonl')).toThrow(/y\.jsonl:1/);
  });
});

const devSetExists = existsSync(devSetPath);
if (!devSetExists) {
  // eslint-disable-next-line no-console
  console.warn(`NLU dev-set eval skipped: ${path.relative(process.cwd(), devSetPath)} is absent (it lives outside the repo).`);
}
(devSetExists ? describe : describe.skip)('dev-set eval (shared/eval/nlu-dev.jsonl)', () => {
  test('meets the handoff and accuracy targets without training on the dev set', () => {
    const examples = parseEvalJsonl(readFileSync(devSetPath, 'utf8'), devSetPath);
    const report = evaluateNlu(understanding, examples, defaultHandoffPolicy);
    expect(report.urgentRecall).toBe(1);
    expect(report.handoffRecall).toBeGreaterThanOrEqual(0.9);
    expect(report.falseHandoff).toBeLessThanOrEqual(0.15);
    expect(report.accuracy).toBeGreaterThanOrEqual(0.75);
  });

  test('no dev-set line is copied into the training data', () => {
    const { intents } = loadNluFiles(flowsDir);
    const training = new Set(Object.values(intents.intents).flat().map((l) => l.trim()));
    const examples = parseEvalJsonl(readFileSync(devSetPath, 'utf8'), devSetPath);
    expect(examples.filter((e) => training.has(e.text.trim())).map((e) => e.text)).toEqual([]);
  });
});
