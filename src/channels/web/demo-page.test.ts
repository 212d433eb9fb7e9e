import { escapeHtml } from '../../text/escape-html';
import { renderDemoPage } from './demo-page';
import type { Organisation } from '../../config/organisation-schema';

describe('renderDemoPage', () => {
  const org = { name: { ar: 'جمعية <b>بر</b>', en: 'Birr & Co' }, hotline: '0500', address: { ar: 'خليص', en: 'Khulais' } } as unknown as Organisation;

  test('fills the profile, escaped', () => {
    const html = renderDemoPage('<h1>{{orgName}}</h1><p>{{orgNameEn}} {{hotline}} {{address}} {{waslUrl}} {{unknown}}</p>', org, 'http://localhost:3000');
    expect(html).toBe('<h1>جمعية &lt;b&gt;بر&lt;/b&gt;</h1><p>Birr &amp; Co 0500 خليص http://localhost:3000 {{unknown}}</p>');
  });

  test('escapeHtml', () => expect(escapeHtml(`<script>"'&`)).toBe('&lt;script&gt;&quot;&#39;&amp;'));
});
