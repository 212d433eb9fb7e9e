/**
 * The part of Telegram's `Update` (https://core.telegram.org/bots/api#update) that Wasl accepts, as zod schemas,
 * and `classifyUpdate`, which turns one update into the one thing it means for us. Pure: no I/O, so both the
 * webhook and the poller share it and unit tests feed it recorded payloads.
 *
 * Unknown fields are stripped, not refused: Telegram adds fields to its types in every Bot API release.
 */
import { z } from 'zod';
import { cutText } from '../../text/storable-text';

const userSchema = z.object({
  id: z.number().int(),
  is_bot: z.boolean(),
  first_name: z.string(),
  last_name: z.string().optional(),
  username: z.string().optional(),
  language_code: z.string().optional(),
});

const chatSchema = z.object({ id: z.number().int(), type: z.string() });

const photoSizeSchema = z.object({
  file_id: z.string().min(1),
  file_unique_id: z.string(),
  width: z.number().int(),
  height: z.number().int(),
  file_size: z.number().int().optional(),
});

export const telegramMessageSchema = z.object({
  message_id: z.number().int(),
  date: z.number().int(),
  chat: chatSchema,
  from: userSchema.optional(),
  text: z.string().optional(),
  caption: z.string().optional(),
  entities: z.array(z.object({ type: z.string(), offset: z.number().int(), length: z.number().int() })).optional(),
  photo: z.array(photoSizeSchema).optional(),
  document: z
    .object({
      file_id: z.string().min(1),
      file_unique_id: z.string(),
      file_name: z.string().optional(),
      mime_type: z.string().optional(),
      file_size: z.number().int().optional(),
    })
    .optional(),
  location: z.object({ latitude: z.number(), longitude: z.number() }).optional(),
  contact: z
    .object({ phone_number: z.string(), first_name: z.string(), last_name: z.string().optional(), user_id: z.number().int().optional() })
    .optional(),
});
export type TelegramMessage = z.infer<typeof telegramMessageSchema>;

export const telegramUpdateSchema = z.object({
  update_id: z.number().int().nonnegative(),
  message: telegramMessageSchema.optional(),
  callback_query: z
    .object({
      id: z.string().min(1),
      from: userSchema,
      // Absent when the keyboard's message is too old for Telegram to send; then we cannot tell what was chosen.
      message: z.object({ message_id: z.number().int(), chat: chatSchema }).optional(),
      data: z.string().optional(),
    })
    .optional(),
  my_chat_member: z
    .object({
      chat: chatSchema,
      from: userSchema,
      date: z.number().int(),
      new_chat_member: z.object({ status: z.string() }),
    })
    .optional(),
});
export type TelegramUpdate = z.infer<typeof telegramUpdateSchema>;

/** The update kinds we ask Telegram for (`allowed_updates`); everything else is never sent to us. */
export const allowedUpdates = ['message', 'callback_query', 'my_chat_member'] as const;

/** The bot's commands, mapped by the channel to the engine's global command words (flows/commands.yaml). */
export const telegramCommands = ['start', 'menu', 'lang', 'human'] as const;
export type TelegramCommand = (typeof telegramCommands)[number];

/** A file the beneficiary sent, as Telegram describes it (the type and size are the sender's claim until downloaded). */
export interface TelegramFileRef {
  fileId: string;
  fileName?: string;
  claimedMimeType?: string;
  claimedSizeBytes?: number;
}

export type TelegramEvent =
  | {
      kind: 'message';
      chatId: string;
      /** `tg-<chat>-<message_id>`: a message id is unique within its chat and stays the same on redelivery. */
      providerMessageId: string;
      displayName: string;
      text: string;
      command?: TelegramCommand;
      file?: TelegramFileRef;
      /** A shared contact; `own` when it is the sender's own number, the only case that proves a mobile. */
      contact?: { phoneNumber: string; own: boolean };
      location?: { latitude: number; longitude: number };
      receivedAt: Date;
    }
  | {
      kind: 'choice';
      chatId: string;
      /** `tg-cb-<callback id>`: callback ids are unique and repeat only on redelivery. */
      providerMessageId: string;
      callbackQueryId: string;
      displayName: string;
      /** The choice's number as shown, and the Wasl message whose keyboard it came from. */
      number: number;
      waslMessageId: number;
      keyboardMessageId: number;
    }
  | { kind: 'stale-button'; chatId: string; callbackQueryId: string; keyboardMessageId?: number }
  | { kind: 'membership'; chatId: string; blocked: boolean }
  | { kind: 'ignored'; reason: string };

/** `c:<number>:<wasl message id>` — ASCII only, far below Telegram's 64-byte limit for callback data. */
export function choiceCallbackData(number: number, waslMessageId: number): string {
  return `c:${number}:${waslMessageId}`;
}

const callbackDataPattern = /^c:(\d{1,3}):(\d{1,15})$/;

/** Telegram's Unix seconds, or now when the clock says the message is from the future. */
function dateOf(seconds: number): Date {
  const at = new Date(seconds * 1000);
  return at.getTime() > Date.now() ? new Date() : at;
}

function nameOf(user: z.infer<typeof userSchema> | undefined): string {
  if (!user) return '';
  return cutText([user.first_name, user.last_name].filter(Boolean).join(' '), 200);
}

/** `/menu`, `/menu@WaslBot`, `/start payload` → the command, when the message opens with one of ours. */
function commandOf(message: TelegramMessage): TelegramCommand | undefined {
  const opening = message.entities?.find((e) => e.type === 'bot_command' && e.offset === 0);
  if (!opening || !message.text) return undefined;
  const word = message.text.slice(1, opening.length).split('@')[0]!.toLowerCase();
  return (telegramCommands as readonly string[]).includes(word) ? (word as TelegramCommand) : undefined;
}

function fileOf(message: TelegramMessage): TelegramFileRef | undefined {
  if (message.photo?.length) {
    // Telegram sends every size it made; the largest is last. Photos are always re-encoded as JPEG.
    const largest = message.photo.at(-1)!;
    return { fileId: largest.file_id, claimedMimeType: 'image/jpeg', claimedSizeBytes: largest.file_size, fileName: 'photo.jpg' };
  }
  if (message.document) {
    const d = message.document;
    return { fileId: d.file_id, fileName: d.file_name, claimedMimeType: d.mime_type, claimedSizeBytes: d.file_size };
  }
  return undefined;
}

/** What one update means for Wasl; never throws on a well-formed update. */
export function classifyUpdate(update: TelegramUpdate): TelegramEvent {
  if (update.message) {
    const m = update.message;
    // A charity's conversations are private: group chats would show one beneficiary's answers to others.
    if (m.chat.type !== 'private') return { kind: 'ignored', reason: `chat type ${m.chat.type}` };
    if (!m.from || m.from.is_bot) return { kind: 'ignored', reason: 'not from a person' };
    const command = commandOf(m);
    const file = fileOf(m);
    const contact = m.contact ? { phoneNumber: m.contact.phone_number, own: m.contact.user_id !== undefined && m.contact.user_id === m.from.id } : undefined;
    return {
      kind: 'message',
      chatId: String(m.chat.id),
      providerMessageId: `tg-${m.chat.id}-${m.message_id}`,
      displayName: nameOf(m.from),
      text: m.text ?? m.caption ?? '',
      ...(command ? { command } : {}),
      ...(file ? { file } : {}),
      ...(contact ? { contact } : {}),
      ...(m.location ? { location: m.location } : {}),
      receivedAt: dateOf(m.date),
    };
  }
  if (update.callback_query) {
    const q = update.callback_query;
    const chat = q.message?.chat;
    if (!chat || chat.type !== 'private') return { kind: 'ignored', reason: 'callback without a private chat' };
    const match = callbackDataPattern.exec(q.data ?? '');
    if (!match || !q.message) return { kind: 'stale-button', chatId: String(chat.id), callbackQueryId: q.id, keyboardMessageId: q.message?.message_id };
    return {
      kind: 'choice',
      chatId: String(chat.id),
      providerMessageId: `tg-cb-${q.id}`,
      callbackQueryId: q.id,
      displayName: nameOf(q.from),
      number: Number(match[1]),
      waslMessageId: Number(match[2]),
      keyboardMessageId: q.message.message_id,
    };
  }
  if (update.my_chat_member) {
    const c = update.my_chat_member;
    if (c.chat.type !== 'private') return { kind: 'ignored', reason: `membership in a ${c.chat.type}` };
    // "kicked" in a private chat is the user blocking the bot; "member" is unblocking (or /start after a block).
    const status = c.new_chat_member.status;
    if (status === 'kicked') return { kind: 'membership', chatId: String(c.chat.id), blocked: true };
    if (status === 'member') return { kind: 'membership', chatId: String(c.chat.id), blocked: false };
    return { kind: 'ignored', reason: `membership status ${status}` };
  }
  return { kind: 'ignored', reason: 'update kind not handled' };
}
