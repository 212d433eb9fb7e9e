import { commandWords } from './telegram-commands';
import { sniffDocumentType } from './telegram-files';
import { normaliseSharedPhone } from './telegram-inbound';
import { renderForTelegram } from './telegram-render';
import { secretMatches } from './telegram-webhook';
import { classifyUpdate, telegramUpdateSchema, type TelegramUpdate } from './telegram-update';

const from = { id: 77, is_bot: false, first_name: 'نورة', last_name: 'الشهري' };
const chat = { id: 77, type: 'private' };
const update = (u: Record<string, unknown>): TelegramUpdate => telegramUpdateSchema.parse({ update_id: 1, ...u });
const message = (m: Record<string, unknown>) => update({ message: { message_id: 5, date: 1_700_000_000, chat, from, ...m } });

describe('classifyUpdate', () => {
  test('a text message, keyed by chat and message id', () => {
    expect(classifyUpdate(message({ text: 'مرحبا' }))).toMatchObject({
      kind: 'message',
      chatId: '77',
      providerMessageId: 'tg-77-5',
      text: 'مرحبا',
      displayName: 'نورة الشهري',
    });
  });

  test.each([
    ['/start', 'start'],
    ['/menu@wasl_bot', 'menu'],
    ['/start campaign-7', 'start'],
    ['/lang', 'lang'],
    ['/human', 'human'],
  ])('%s is the command %s', (text, command) => {
    const length = text.split(' ')[0]!.length;
    expect(classifyUpdate(message({ text, entities: [{ type: 'bot_command', offset: 0, length }] }))).toMatchObject({ command });
  });

  test('an unknown command stays text', () => {
    const e = classifyUpdate(message({ text: '/help', entities: [{ type: 'bot_command', offset: 0, length: 5 }] }));
    expect(e).toMatchObject({ kind: 'message', text: '/help' });
    expect(e).not.toHaveProperty('command');
  });

  test('the largest photo size, as JPEG', () => {
    const photo = [
      { file_id: 'small', file_unique_id: 's', width: 90, height: 90, file_size: 900 },
      { file_id: 'large', file_unique_id: 'l', width: 1280, height: 960, file_size: 90_000 },
    ];
    expect(classifyUpdate(message({ photo, caption: 'الهوية' }))).toMatchObject({
      text: 'الهوية',
      file: { fileId: 'large', claimedMimeType: 'image/jpeg', claimedSizeBytes: 90_000 },
    });
  });

  test('a contact is the sender\'s own only when its user_id is the sender\'s id', () => {
    expect(classifyUpdate(message({ contact: { phone_number: '966551234567', first_name: 'ن', user_id: 77 } }))).toMatchObject({ contact: { own: true } });
    expect(classifyUpdate(message({ contact: { phone_number: '966551234567', first_name: 'ن', user_id: 78 } }))).toMatchObject({ contact: { own: false } });
    expect(classifyUpdate(message({ contact: { phone_number: '966551234567', first_name: 'ن' } }))).toMatchObject({ contact: { own: false } });
  });

  test('groups, channels and other bots are ignored', () => {
    expect(classifyUpdate(message({ chat: { id: -100, type: 'group' }, text: 'hi' }))).toMatchObject({ kind: 'ignored' });
    expect(classifyUpdate(message({ from: { ...from, is_bot: true }, text: 'hi' }))).toMatchObject({ kind: 'ignored' });
    expect(classifyUpdate(update({}))).toMatchObject({ kind: 'ignored' });
  });

  test('a button press carries the choice number and the Wasl message it belongs to', () => {
    const e = classifyUpdate(update({ callback_query: { id: 'cb1', from, data: 'c:3:1200', message: { message_id: 9, chat } } }));
    expect(e).toEqual({ kind: 'choice', chatId: '77', providerMessageId: 'tg-cb-cb1', callbackQueryId: 'cb1', displayName: 'نورة الشهري', number: 3, waslMessageId: 1200, keyboardMessageId: 9 });
    expect(classifyUpdate(update({ callback_query: { id: 'cb2', from, data: 'donate:1', message: { message_id: 9, chat } } }))).toMatchObject({ kind: 'stale-button' });
  });

  test('blocking and unblocking the bot', () => {
    const member = (status: string) => update({ my_chat_member: { chat, from, date: 1, new_chat_member: { status } } });
    expect(classifyUpdate(member('kicked'))).toEqual({ kind: 'membership', chatId: '77', blocked: true });
    expect(classifyUpdate(member('member'))).toEqual({ kind: 'membership', chatId: '77', blocked: false });
  });
});

describe('renderForTelegram', () => {
  test('one row per choice on the last part, ASCII callback data within 64 bytes', () => {
    const parts = renderForTelegram({ messageId: 123456789, text: 'اختر', choices: [{ number: 1, value: 'a', label: 'تقديم طلب مساعدة' }, { number: 12, value: 'b', label: 'شكوى' }] });
    expect(parts).toEqual([
      { text: 'اختر', reply_markup: { inline_keyboard: [[{ text: '1. تقديم طلب مساعدة', callback_data: 'c:1:123456789' }], [{ text: '12. شكوى', callback_data: 'c:12:123456789' }]] } },
    ]);
    expect(Buffer.byteLength('c:12:123456789')).toBeLessThanOrEqual(64);
  });

  test('text over 4096 is split; nothing to send renders to nothing', () => {
    const parts = renderForTelegram({ messageId: 1, text: 'كلمة '.repeat(2000), choices: [] });
    expect(parts.length).toBe(3);
    expect(parts.every((p) => p.text.length <= 4096 && !p.reply_markup)).toBe(true);
    expect(renderForTelegram({ messageId: 1, text: '  ', choices: [] })).toEqual([]);
  });
});

describe('helpers', () => {
  test('shared numbers become E.164', () => {
    expect(normaliseSharedPhone('966551234567')).toBe('+966551234567');
    expect(normaliseSharedPhone('+966 55 123 4567')).toBe('+966551234567');
    expect(normaliseSharedPhone('447911123456')).toBe('+447911123456');
    expect(normaliseSharedPhone('12')).toBeNull();
  });

  test('file types come from the bytes', () => {
    expect(sniffDocumentType(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0]))).toBe('image/jpeg');
    expect(sniffDocumentType(Buffer.from('%PDF-1.7\n'))).toBe('application/pdf');
    expect(sniffDocumentType(Buffer.from('RIFF\0\0\0\0WEBPVP8 '))).toBe('image/webp');
    expect(sniffDocumentType(Buffer.from('MZ\x90\0'))).toBeNull();
  });

  test('the webhook secret is compared whole', () => {
    expect(secretMatches('s3cret-s3cret-s3cret', 's3cret-s3cret-s3cret')).toBe(true);
    expect(secretMatches('s3cret-s3cret-s3cre', 's3cret-s3cret-s3cret')).toBe(false);
    expect(secretMatches(undefined, 's3cret-s3cret-s3cret')).toBe(false);
    expect(secretMatches(['a', 'b'], 's3cret-s3cret-s3cret')).toBe(false);
  });

  test('commands become the organisation\'s own words', () => {
    const words = { ar: ['كلمة'], en: ['word'] };
    const commands = { menu: { ar: ['القائمة'], en: ['menu'] }, back: words, cancel: words, human: { ar: ['موظف'], en: ['agent'] }, language: { ar: ['English', 'اللغة'], en: ['language'] }, skip: words, mine: words, yes: words, no: words };
    expect(commandWords(commands)).toEqual({ start: 'menu', menu: 'menu', lang: 'language', human: 'agent' });
    // "English" names a language, so /lang prefers a word that only asks to change it.
    expect(commandWords({ ...commands, language: { ar: ['English', 'اللغة'], en: ['english'] } }).lang).toBe('اللغة');
  });
});
