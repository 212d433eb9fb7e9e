import type { Organisation } from '../../config/organisation-schema';
import path from 'node:path';
import { TemplateCatalog } from '../../templating/template-catalog';
import { escapeHtml } from '../../text/escape-html';
import { emailChromeFrom, renderEmailBody } from './email-layout';

const chrome = emailChromeFrom(TemplateCatalog.load(path.join(__dirname, '../../../templates')).catalog);

const organisation = {
  name: { ar: 'جمعية بر <الخوار>', en: 'Birr & Khawar' },
  hotline: '0504621286',
  website: 'https://birr.example/',
} as unknown as Organisation;

describe('renderEmailBody', () => {
  test('Arabic: RTL, the organisation and hotline, choices as a numbered list, everything escaped', () => {
    const body = renderEmailBody(
      { text: 'مرحبا <script>alert(1)</script>\nسطر ثان', choices: [{ number: 1, value: 'a', label: 'تقديم "طلب"' }, { number: 2, value: 'b', label: 'حالة <طلب>' }], language: 'ar' },
      organisation,
      chrome,
    );
    expect(body.html).toContain('<html lang="ar" dir="rtl">');
    expect(body.html).toContain('جمعية بر &lt;الخوار&gt;');
    expect(body.html).toContain('0504621286');
    expect(body.html).toContain('مرحبا &lt;script&gt;alert(1)&lt;/script&gt;<br>سطر ثان');
    expect(body.html).not.toMatch(/<script/i);
    expect(body.html).toContain('تقديم &quot;طلب&quot;');
    expect(body.html).toContain('حالة &lt;طلب&gt;');
    expect(body.text).toContain('1. تقديم "طلب"\n2. حالة <طلب>');
    expect(body.text).toContain('برقم الخيار أو بكلمته');
    expect(body.text).toContain('0504621286');
  });

  test('English is left-to-right and has no choice hint without choices', () => {
    const body = renderEmailBody({ text: 'Hello', choices: [], language: 'en' }, organisation, chrome);
    expect(body.html).toContain('<html lang="en" dir="ltr">');
    expect(body.html).toContain('Birr &amp; Khawar');
    expect(body.text).not.toContain('reply to this mail with the number');
  });

  test('escapeHtml', () => {
    expect(escapeHtml(`<a href="x" onclick='y'>&</a>`)).toBe('&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
  });
});
