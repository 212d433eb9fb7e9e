/**
 * How each channel gets a file a researcher attaches. Known to the console (web role) without the channel's
 * adapter, which may run in another process, so it can refuse before anything is queued.
 *
 * SMS refuses: an SMS cannot carry a file (operators in the Kingdom do not offer MMS to A2P senders), and a link
 * to a personal document in an SMS from a sender name is exactly what phishing looks like — beneficiaries are
 * rightly told never to open those. The researcher is told to use another channel or an off-line contact.
 */
import type { ChannelName } from './channel-name';

export type FileDelivery = 'native' | 'link' | 'none';

export const fileDelivery: Record<ChannelName, FileDelivery> = {
  telegram: 'native',
  whatsapp: 'native',
  email: 'native',
  web: 'link',
  cli: 'link',
  sms: 'none',
};
