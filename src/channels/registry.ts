/** Every channel Wasl knows. A channel is used when its module says it is enabled by the configuration. */
import type { ChannelModule } from './channel-module';
import { cliChannel } from './cli/cli-channel';
import { emailChannel } from './email/email-channel';
import { smsChannel } from './sms/sms-channel';
import { webChannel } from './web/web-channel';
import { telegramChannel } from './telegram/telegram-channel';
import { whatsappChannel } from './whatsapp/whatsapp-channel';

export const channelModules: readonly ChannelModule[] = [cliChannel, telegramChannel, whatsappChannel, smsChannel, webChannel, emailChannel];
