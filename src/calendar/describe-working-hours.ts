/** "الأحد – الخميس، 08:00 – 16:00": working hours as a beneficiary reads them, in their language. */
import type { Organisation, Weekday } from '../config/organisation-schema';
import type { Language } from '../templating/template-catalog';

const order: Weekday[] = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
// 2023-01-01 was a Sunday: a fixed week to ask Intl for day names.
const sample = (d: Weekday) => new Date(Date.UTC(2023, 0, 1 + order.indexOf(d), 12));

export function describeWorkingHours(hours: Organisation['workingHours'], lang: Language): string {
  const fmt = new Intl.DateTimeFormat(lang === 'ar' ? 'ar-SA' : 'en-GB', { weekday: 'long', timeZone: 'UTC' });
  const days = order.filter((d) => hours.days.includes(d));
  const indexes = days.map((d) => order.indexOf(d));
  const contiguous = indexes.every((v, i) => i === 0 || v === indexes[i - 1]! + 1);
  const names = days.map((d) => fmt.format(sample(d)));
  const dayText =
    contiguous && names.length > 2 ? `${names[0]} – ${names[names.length - 1]}` : names.join(lang === 'ar' ? '، ' : ', ');
  return `${dayText}${lang === 'ar' ? '، ' : ', '}${hours.from} – ${hours.to}`;
}
