/** `/api/conversations`: the inbox, one conversation, and what a researcher does to it. */
import { z } from 'zod';
import {
  conversationDetailSchema,
  conversationListQuerySchema,
  conversationSummarySchema,
  getConversationDetail,
  listConversations,
} from '../../conversations/conversation-queries';
import type { ConversationOps } from '../../conversations/conversation-ops';
import { MAX_DOCUMENT_BYTES } from '../../documents/document-store';
import { recordAudit } from '../../staff/record-audit';
import { idParams, type ApiRegistry } from '../api-route';
import type { ConsoleDeps } from '../console-deps';
import type { LiveEvents } from '../live-events';

const stateResponse = z.object({ id: z.number(), status: z.string(), assigneeStaffId: z.number().nullable() });
const toState = (c: { id: number; status: string; assigneeStaffId: number | null }) => ({ id: c.id, status: c.status, assigneeStaffId: c.assigneeStaffId });

export function registerConversationRoutes(api: ApiRegistry, deps: ConsoleDeps, ops: ConversationOps, events: LiveEvents): void {
  const clock = deps.clock ?? (() => new Date());
  const changed = (conversationId: number) => events.publish({ type: 'conversation.updated', conversationId });

  api.add({
    method: 'GET',
    url: '/api/conversations',
    summary: 'Inbox: waiting (urgent first, then oldest), mine, all open, resolved',
    tag: 'conversations',
    query: conversationListQuerySchema,
    response: z.object({ conversations: z.array(conversationSummarySchema) }),
    handler: async ({ me, query }) => ({ conversations: await listConversations(deps.db, me, query, clock()) }),
  });

  api.add({
    method: 'GET',
    url: '/api/conversations/:id',
    summary: 'One conversation: history across channels with delivery status, handoff reason, collected data (masked), notes, requests',
    tag: 'conversations',
    params: idParams,
    response: conversationDetailSchema,
    handler: async ({ me, params }) => {
      const detail = await getConversationDetail(deps.db, me, params.id, clock());
      await recordAudit(deps.db, { staffId: me.id, action: 'conversation.view', subjectKind: 'conversation', subjectId: params.id, beneficiaryId: detail.conversation.beneficiary.id });
      return detail;
    },
  });

  api.add({
    method: 'POST',
    url: '/api/conversations/:id/claim',
    summary: 'Take a waiting chat; 409 CONV_ERR_ALREADY_CLAIMED when a colleague was first',
    tag: 'conversations',
    params: idParams,
    response: stateResponse,
    handler: async ({ me, params }) => {
      const c = await ops.claim(me, params.id);
      await changed(c.id);
      return toState(c);
    },
  });

  api.add({
    method: 'POST',
    url: '/api/conversations/:id/release',
    summary: 'Put a held chat back in the waiting queue',
    tag: 'conversations',
    params: idParams,
    response: stateResponse,
    handler: async ({ me, params }) => {
      const c = await ops.release(me, params.id);
      await changed(c.id);
      return toState(c);
    },
  });

  api.add({
    method: 'POST',
    url: '/api/conversations/:id/transfer',
    summary: 'Hand a held chat to a colleague (routing and caseload limits apply)',
    tag: 'conversations',
    params: idParams,
    body: z.object({ toStaffId: z.coerce.number().int().positive() }),
    response: stateResponse,
    handler: async ({ me, params, body }) => {
      const c = await ops.transfer(me, params.id, body.toStaffId);
      await changed(c.id);
      return toState(c);
    },
  });

  api.add({
    method: 'POST',
    url: '/api/conversations/:id/reply',
    summary: "Send a message through the beneficiary's channel (queued, then sent/delivered/failed)",
    tag: 'conversations',
    params: idParams,
    body: z.object({ text: z.string().trim().min(1).max(4000) }),
    response: z.object({ messageId: z.number(), status: z.literal('queued') }),
    status: 201,
    handler: async ({ me, params, body }) => {
      const out = await ops.reply(me, params.id, body.text);
      await changed(params.id);
      return { messageId: out.id, status: 'queued' as const };
    },
  });

  api.add({
    method: 'POST',
    url: '/api/conversations/:id/attachments',
    summary: "Send a file (JPEG, PNG, WebP or PDF, at most 10 MB) through the beneficiary's channel; SMS refuses with 409 CONV_ERR_CHANNEL_CANNOT_SEND_FILES",
    tag: 'conversations',
    params: idParams,
    body: z.object({
      fileName: z.string().trim().min(1).max(200),
      /** What the browser claims; the bytes decide. */
      mimeType: z.string().max(100).optional(),
      base64: z.string().min(1).max(Math.ceil((MAX_DOCUMENT_BYTES * 4) / 3) + 4),
      caption: z.string().trim().max(1000).optional(),
    }),
    response: z.object({ messageId: z.number(), status: z.literal('queued') }),
    status: 201,
    handler: async ({ me, params, body }) => {
      const out = await ops.attach(me, params.id, { fileName: body.fileName, bytes: Buffer.from(body.base64, 'base64'), caption: body.caption });
      await changed(params.id);
      return { messageId: out.id, status: 'queued' as const };
    },
  });

  api.add({
    method: 'POST',
    url: '/api/conversations/:id/resolve',
    summary: 'Close the chat; schedules the satisfaction survey unless survey=false (then a reason is required)',
    tag: 'conversations',
    params: idParams,
    body: z.object({ survey: z.boolean().default(true), reason: z.string().trim().max(500).optional() }),
    response: stateResponse.extend({ surveyScheduled: z.boolean() }),
    handler: async ({ me, params, body }) => {
      const { conversation, surveyScheduled } = await ops.resolve(me, params.id, body);
      await changed(params.id);
      return { ...toState(conversation), surveyScheduled };
    },
  });

  api.add({
    method: 'POST',
    url: '/api/conversations/:id/hand-back',
    summary: 'Give the chat back to the bot, optionally into a chosen flow',
    tag: 'conversations',
    params: idParams,
    body: z.object({ flow: z.string().regex(/^[a-z0-9-]+$/).optional() }),
    response: stateResponse,
    handler: async ({ me, params, body }) => {
      const c = await ops.handBack(me, params.id, body);
      await changed(c.id);
      return toState(c);
    },
  });

  api.add({
    method: 'POST',
    url: '/api/conversations/:id/preference',
    summary: 'Record (or clear) the wish for a female or a male researcher',
    tag: 'conversations',
    params: idParams,
    body: z.object({ researcherGender: z.enum(['female', 'male']).nullable() }),
    response: stateResponse,
    handler: async ({ me, params, body }) => {
      const c = await ops.setResearcherGender(me, params.id, body.researcherGender);
      await changed(c.id);
      return toState(c);
    },
  });

  api.add({
    method: 'POST',
    url: '/api/conversations/:id/notes',
    summary: 'An internal note, never sent to the beneficiary',
    tag: 'conversations',
    params: idParams,
    body: z.object({ text: z.string().trim().min(1).max(4000) }),
    response: z.object({ id: z.number() }),
    status: 201,
    handler: async ({ me, params, body }) => {
      const detail = await getConversationDetail(deps.db, me, params.id, clock());
      const note = await ops.addNote(me, { beneficiaryId: detail.conversation.beneficiary.id, conversationId: params.id }, body.text);
      await changed(params.id);
      return { id: note.id };
    },
  });
}
