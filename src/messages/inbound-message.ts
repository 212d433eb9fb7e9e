/**
 * What every adapter hands to `ingest()`, whatever the provider: validated here once, so the engine never
 * sees a provider's shape.
 */
import { z } from 'zod';
import { storableString as senderText } from '../text/storable-text';
import { channelNameSchema } from './channel-name';

// Every string a sender chose is made storable here, once, for every channel (text/storable-text.ts).

export const inboundMediaSchema = z.object({
  /** Key in the document store; adapters store the bytes before ingesting (content-addressed, so retries are free). */
  storageKey: z.string().min(1),
  mimeType: z.string().min(3).max(200),
  fileName: senderText().max(300).optional(),
  sizeBytes: z.number().int().min(0),
});
export type InboundMedia = z.infer<typeof inboundMediaSchema>;

export const inboundMessageSchema = z.object({
  channel: channelNameSchema,
  channelUserId: senderText().min(1).max(300),
  /** The provider's own id: a redelivery carries the same one, which makes ingest a no-op. */
  providerMessageId: senderText().min(1).max(500),
  text: senderText().max(10_000).default(''),
  media: z.array(inboundMediaSchema).max(10).default([]),
  displayName: senderText().max(200).optional(),
  /**
   * A mobile number (E.164) the channel itself proves belongs to the sender: the WhatsApp number, or a Telegram
   * contact the user shared of themselves. Only such numbers link contacts across channels; a typed number never does.
   */
  verifiedMobile: z.string().regex(/^\+\d{8,15}$/, 'E.164, e.g. +966501234567').optional(),
  receivedAt: z.coerce.date().default(() => new Date()),
  /**
   * The conversation this message answers, when the channel can tell (an email's In-Reply-To/References naming
   * a mail we sent). Only a hint: `ingest` follows it only into a conversation of the same contact.
   */
  conversationHint: z.number().int().positive().optional(),
  /**
   * Set when the message is a click on a survey's star link or its comment form rather than typed words: it
   * counts only while that survey's question is still open (surveys/survey-answer.ts), and is otherwise kept
   * without an answer.
   */
  surveyLink: z.object({ surveyId: z.number().int().positive(), kind: z.enum(['rating', 'comment']) }).optional(),
});
export type InboundMessage = z.infer<typeof inboundMessageSchema>;
export type InboundMessageInput = z.input<typeof inboundMessageSchema>;
