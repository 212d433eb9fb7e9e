/** The channels Wasl speaks on. Adding one means a folder in `channels/` and a line in its registry. */
import { z } from 'zod';

export const channelNames = ['cli', 'web', 'telegram', 'whatsapp', 'email', 'sms'] as const;
export const channelNameSchema = z.enum(channelNames);
export type ChannelName = z.infer<typeof channelNameSchema>;
