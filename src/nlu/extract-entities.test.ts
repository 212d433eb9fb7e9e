import { extractEntities } from './extract-entities';

describe('reference numbers', () => {
  test.each([
    ['وش صار على REQ-10482', 'REQ-10482'],
    ['req 10482 please', 'REQ-10482'],
    ['REQ10482', 'REQ-10482'],
    ['رقم طلبي ١٠٤٨٢', 'REQ-10482'],
    ['الطلب رقم: 10482', 'REQ-10482'],
  ])('%s', (text, expected) => {
    expect(extractEntities(text).referenceNumbers).toEqual([expected]);
  });

  test('a bare number without a naming word is not a reference', () => {
    expect(extractEntities('عندي 10482 ريال').referenceNumbers).toEqual([]);
  });
});

describe('national ID / iqama', () => {
  test('accepts valid check digits for citizens and residents', () => {
    for (const id of ['1000000008', '1234567897', '2000000006', '2345678904']) expect(extractEntities(`هويتي ${id}`).nationalIds).toEqual([id]);
  });
  test('rejects bad check digit, first digit or length', () => {
    for (const id of ['1234567890', '2345678901', '3000000008', '123456789', '1000000000']) expect(extractEntities(`هويتي ${id}`).nationalIds).toEqual([]);
  });
  test('extracts only valid IDs, also in Arabic-Indic digits', () => {
    expect(extractEntities('هويتي ١٢٣٤٥٦٧٨٩٧ والقديمه 1234567890').nationalIds).toEqual(['1234567897']);
  });
});

describe('Saudi mobiles', () => {
  test.each(['0501234567', '501234567', '+966501234567', '00966501234567', '966501234567', '050 123 4567', '050-123-4567', '٠٥٠١٢٣٤٥٦٧', '\u200e+966 50 123 4567'])(
    '%s → +966501234567',
    (raw) => expect(extractEntities(`جوالي ${raw}`).mobiles).toEqual(['+966501234567']),
  );
  test('rejects landlines and short numbers', () => {
    expect(extractEntities('0111234567').mobiles).toEqual([]);
    expect(extractEntities('05012345').mobiles).toEqual([]);
  });
  test('are extracted from running text as E.164', () => {
    expect(extractEntities('رقمي الجديد ٠٥٥ ٩٩٨ ٨٧٧٦ سجلوه').mobiles).toEqual(['+966559988776']);
  });
  test('an ID is not mistaken for a mobile', () => {
    expect(extractEntities('1234567897').mobiles).toEqual([]);
  });
});
