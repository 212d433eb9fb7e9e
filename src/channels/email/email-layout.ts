/**
 * The mail a beneficiary receives: a plain-text part (what any client, screen reader or SMS gateway shows) and a
 * simple branded HTML part — right-to-left for Arabic, the organisation's name on top and its hotline below.
 * Every piece of text is HTML-escaped: replies echo what beneficiaries typed (a name, a description), and
 * that text must never become markup in the mail client.
 */
import type { Organisation } from '../../config/organisation-schema';
import type { Language, TemplateCatalog } from '../../templating/template-catalog';
import { escapeHtml } from '../../text/escape-html';
import type { OutboundEnvelope } from '../channel-adapter';

export interface EmailBody {
  text: string;
  html: string;
}

/** The few words the layout puts around a reply (templates `email.*`, in the reply's language). */
export interface EmailChrome {
  choose: string;
  hotline: string;
  website: string;
  auto: string;
  stars: string;
}

/** One star link of a survey mail: the score, its signed URL and the option's label. */
export interface StarLink {
  score: number;
  url: string;
  label: string;
}

/** Reads the layout's words from the templates, so an organisation words them like everything else. */
export function emailChromeFrom(templates: Pick<TemplateCatalog, 'render'>): (lang: Language) => EmailChrome {
  const cache = new Map<Language, EmailChrome>();
  return (lang) => {
    let words = cache.get(lang);
    if (!words) {
      words = {
        choose: templates.render('email.choose-hint', lang, {}, 'email'),
        hotline: templates.render('email.hotline-label', lang, {}, 'email'),
        website: templates.render('email.website-label', lang, {}, 'email'),
        auto: templates.render('email.automated-notice', lang, {}, 'email'),
        stars: templates.render('email.stars-hint', lang, {}, 'email'),
      };
      cache.set(lang, words);
    }
    return words;
  };
}

const paragraphs = (text: string): string =>
  text
    .split(/\n{2,}/)
    .map((p) => p.trim())
    .filter(Boolean)
    .map((p) => `<p style="margin:0 0 12px">${escapeHtml(p).replace(/\n/g, '<br>')}</p>`)
    .join('\n');

/**
 * `starLinks` (a survey's rating question) turns the options 1–5 into buttons in the HTML part; the plain-text
 * part keeps the numbered list, and a reply with the number still works.
 */
export function renderEmailBody(
  message: Pick<OutboundEnvelope, 'text' | 'choices' | 'language'>,
  organisation: Organisation,
  chrome: (lang: Language) => EmailChrome,
  starLinks: readonly StarLink[] = [],
): EmailBody {
  const lang = message.language;
  const words = chrome(lang);
  const orgName = organisation.name[lang];
  const dir = lang === 'ar' ? 'rtl' : 'ltr';
  const align = lang === 'ar' ? 'right' : 'left';

  const choiceLines = message.choices.map((c) => `${c.number}. ${c.label}`);
  const footer = [orgName, `${words.hotline}: ${organisation.hotline}`, ...(organisation.website ? [`${words.website}: ${organisation.website}`] : [])];
  const text = [
    message.text.trim(),
    ...(choiceLines.length ? ['', choiceLines.join('\n'), '', words.choose] : []),
    '',
    '-- ',
    ...footer,
  ].join('\n');

  const starred = new Set(starLinks.map((l) => l.score));
  const listed = message.choices.filter((c) => !starred.has(c.number));
  const starsHtml = starLinks.length
    ? `<table role="presentation" dir="${dir}" style="border-collapse:separate;border-spacing:0 6px;margin:4px 0 8px">\n${starLinks
        .map(
          (l) =>
            `<tr><td><a href="${escapeHtml(l.url)}" class="wasl-star" data-score="${l.score}" style="display:inline-block;min-width:220px;padding:8px 14px;border:1px solid #1f6f50;border-radius:6px;color:#1f6f50;text-decoration:none;font-weight:bold">${escapeHtml(l.label)}</a></td></tr>`,
        )
        .join('\n')}\n</table>\n<p style="margin:0 0 12px;color:#555;font-size:13px">${escapeHtml(words.stars)}</p>`
    : '';
  const choicesHtml = starsHtml + (listed.length
    ? `<table role="presentation" dir="${dir}" style="border-collapse:collapse;margin:4px 0 12px">\n${listed
        .map(
          (c) =>
            `<tr><td style="padding:4px 0 4px 8px;font-weight:bold;vertical-align:top">${c.number}.</td><td style="padding:4px 8px">${escapeHtml(c.label)}</td></tr>`,
        )
        .join('\n')}\n</table>\n<p style="margin:0 0 12px;color:#555;font-size:13px">${escapeHtml(words.choose)}</p>`
    : '');

  const html = `<!DOCTYPE html>
<html lang="${lang}" dir="${dir}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(orgName)}</title></head>
<body dir="${dir}" style="margin:0;padding:0;background:#f4f6f5">
<table role="presentation" width="100%" dir="${dir}" style="border-collapse:collapse;background:#f4f6f5">
<tr><td align="center" style="padding:16px">
<table role="presentation" width="100%" dir="${dir}" style="max-width:600px;border-collapse:collapse;background:#ffffff;border-radius:8px;font-family:Tahoma,Arial,sans-serif;font-size:16px;line-height:1.7;color:#1f2d27;text-align:${align}">
<tr><td style="background:#1f6f50;color:#ffffff;padding:14px 20px;font-size:18px;font-weight:bold;border-radius:8px 8px 0 0">${escapeHtml(orgName)}</td></tr>
<tr><td style="padding:20px">
${paragraphs(message.text)}
${choicesHtml}
</td></tr>
<tr><td style="padding:12px 20px;border-top:1px solid #e3e8e6;color:#5b6b64;font-size:13px">
${escapeHtml(orgName)} · ${escapeHtml(words.hotline)}: <span dir="ltr">${escapeHtml(organisation.hotline)}</span>${
    organisation.website ? ` · ${escapeHtml(words.website)}: <a href="${escapeHtml(organisation.website)}" style="color:#1f6f50">${escapeHtml(organisation.website)}</a>` : ''
  }<br>${escapeHtml(words.auto)}
</td></tr>
</table>
</td></tr>
</table>
</body>
</html>
`;
  return { text, html };
}
