/**
 * Flows are versioned: an organisation edits a flow and restarts, and a beneficiary half-way through the old
 * intake finishes it as it was, while newcomers get the new one.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { copyContent, type ContentCopy } from './support/content-fixture';
import { startTestWasl, type TestWasl } from './support/harness';

describe('flow revisions', () => {
  let content: ContentCopy;
  let dataDir: string;
  let wasl: TestWasl | undefined;

  beforeAll(() => {
    content = copyContent();
    dataDir = mkdtempSync(path.join(tmpdir(), 'wasl-revisions-'));
  });
  afterAll(async () => {
    await wasl?.stop();
    content.cleanup();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const start = () => startTestWasl({ db: 'pglite', dataDir, flowsDir: content.flowsDir, templatesDir: content.templatesDir });

  it('finishes a conversation on the revision it started on', async () => {
    wasl = await start();
    const before = wasl.chat('halfway');
    await before.say('السلام عليكم');
    await before.say('1');
    expect((await before.say('فاطمة علي حسن الزهراني')).join()).toContain('الهوية');
    await wasl.close();

    // The organisation drops the district question and restarts.
    const file = path.join(content.flowsDir, 'intake.flow.yaml');
    const text = readFileSync(file, 'utf8');
    writeFileSync(file, text.replace(/(ask-city:[\s\S]*?)next: ask-district/, '$1next: ask-family-size'));
    wasl = await start();

    const resumed = wasl.chat('halfway');
    await resumed.say('2000000006');
    await resumed.say('0501112233');
    expect((await resumed.say('تبوك')).join()).toContain('الحي'); // the old revision still asks the district

    const newcomer = wasl.chat('newcomer');
    await newcomer.say('السلام عليكم');
    await newcomer.say('1');
    await newcomer.say('عبدالرحمن سعيد محمد الغامدي');
    await newcomer.say('1000000008');
    await newcomer.say('0509998877');
    const next = (await newcomer.say('تبوك')).join();
    expect(next).toContain('أفراد'); // the new revision goes straight to the family size
    expect(next).not.toContain('الحي');
  });
});
