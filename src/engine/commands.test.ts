import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { commandsFileSchema, createCommandMatcher, normalizeForMatch } from './commands';

const commandsFile = commandsFileSchema.parse(parse(readFileSync(path.join(__dirname, '../../flows/commands.yaml'), 'utf8')));
const commands = createCommandMatcher(commandsFile);

describe('normalizeForMatch', () => {
  // Spellings people use for the same word fold to one form; the exact folded form is normalize-arabic's business.
  test.each([
    ['القائمة', 'القائمه'],
    ['  القائِمَة!!  ', 'القائمة'],
    ['القـــائمة', 'القائمة'],
    ['MENU.', 'menu'],
    ['رجوع ؟', 'رجوع'],
    ['١', '1'],
    ['\u200Fإلغاء\u200F', 'الغاء'],
  ])('%j folds like %j', (text, same) => {
    expect(normalizeForMatch(text)).toBe(normalizeForMatch(same));
    expect(normalizeForMatch(text)).not.toMatch(/[\s]{2}|^\s|\s$|[!.؟?\u200F]/);
  });

  test('different words stay different', () => {
    expect(normalizeForMatch('القائمة')).not.toBe(normalizeForMatch('القائم'));
  });
});

describe('global commands match the whole message after normalisation', () => {
  test.each([
    ['القائمة', 'menu'],
    ['القائمه', 'menu'],
    ['القائِمَةُ', 'menu'],
    ['القــــائمة', 'menu'],
    ['  القائمة  الرئيسية ', 'menu'],
    ['menu', 'menu'],
    ['Menu', 'menu'],
    ['MENU!', 'menu'],
    ['main menu', 'menu'],
    ['رجوع', 'back'],
    ['back', 'back'],
    ['إلغاء', 'cancel'],
    ['الغاء', 'cancel'],
    ['cancel', 'cancel'],
    ['موظف', 'human'],
    ['ابي اكلم موظف', 'human'],
    ['أبي أكلم موظف', 'human'],
    ['talk to a human', 'human'],
    ['English', 'language'],
    ['عربي', 'language'],
    ['تغيير اللغة', 'language'],
  ])('%j → %s', (text, command) => {
    expect(commands.globalCommand(text)).toBe(command);
  });

  test.each([
    'ما فهمت القائمة',
    'وين القائمة؟ ابي اشوفها',
    'show me the menu please',
    'ابي ارجع للبيت',
    'موظف البنك قال لي',
    'الغاء الطلب السابق وتقديم طلب جديد',
    '',
    '   ',
    '1',
    'نعم',
  ])('%j is not a command', (text) => {
    expect(commands.globalCommand(text)).toBeNull();
  });

  test('the shared vocabularies are not global commands but are recognised by name', () => {
    expect(commands.is('yes', 'نعم')).toBe(true);
    expect(commands.is('yes', 'Yes')).toBe(true);
    expect(commands.is('no', 'لا')).toBe(true);
    expect(commands.is('skip', 'لاحقاً')).toBe(true);
    expect(commands.is('mine', 'طلباتي')).toBe(true);
    expect(commands.is('yes', 'نعم ولكن')).toBe(false);
    expect(commands.is('no', '')).toBe(false);
  });
});

describe('namedLanguage', () => {
  test.each([
    ['English', 'en'],
    ['english', 'en'],
    ['انجليزي', 'en'],
    ['إنجليزي', 'en'],
    ['الإنجليزية', 'en'],
    ['عربي', 'ar'],
    ['العربية', 'ar'],
    ['Arabic', 'ar'],
    ['اللغة', null],
    ['change language', null],
    ['English please', null],
  ] as const)('%j → %s', (text, lang) => {
    expect(commands.namedLanguage(text)).toBe(lang);
  });
});

describe('createCommandMatcher on a small vocabulary', () => {
  const words = (ar: string[], en: string[]) => ({ ar, en });
  const small = createCommandMatcher({
    menu: words(['القائمة'], ['menu']),
    back: words(['رجوع'], ['back']),
    cancel: words(['الغاء'], ['cancel']),
    human: words(['موظف'], ['agent']),
    language: words(['اللغة'], ['language']),
    skip: words(['تخطي'], ['skip']),
    mine: words(['طلباتي'], ['mine']),
    yes: words(['نعم'], ['yes']),
    no: words(['لا'], ['no']),
  });

  test('a listed word matches in its other spellings', () => {
    expect(small.globalCommand('القائمه')).toBe('menu');
    expect(small.globalCommand('إلغاء')).toBe('cancel');
  });

  test('a word not listed does not match', () => {
    expect(small.globalCommand('home')).toBeNull();
  });
});
