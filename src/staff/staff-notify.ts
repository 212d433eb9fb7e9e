/**
 * Tells staff about new escalations outside the console — by e-mail and/or in a staff Telegram group — from the
 * `staff-notify` BullMQ queue, so a slow mail server never holds up the engine or a web request. Urgent cases
 * also page every supervisor on duty. Notifications carry no beneficiary text or identity, only the case
 * number, reason and a link: e-mail and Telegram are outside the organisation's control.
 */
import { Queue, Worker, type ConnectionOptions } from 'bullmq';
import { and, eq, inArray } from 'drizzle-orm';
import nodemailer from 'nodemailer';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { Env } from '../config/env-schema';
import type { Db } from '../store/database';
import { staff } from '../store/schema';

export const STAFF_NOTIFY_QUEUE = 'staff-notify';

export const escalationNoticeSchema = z.object({
  conversationId: z.number().int().positive(),
  reason: z.string().nullable(),
  priority: z.string().nullable(),
  queue: z.enum(['urgent', 'complaints', 'shared']),
  channel: z.string(),
  handedOffAt: z.string(),
  researcherGender: z.string().nullable(),
});
export type EscalationNotice = z.infer<typeof escalationNoticeSchema>;

export class StaffNotifyError extends Error {
  constructor(message: string, readonly via: 'email' | 'telegram', options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StaffNotifyError';
  }
}

export interface StaffNotifier {
  /** Queues one notice per escalation (the job id makes a repeat a no-op). */
  notify(notice: EscalationNotice): Promise<void>;
  close(): Promise<void>;
}

type NotifyEnv = Pick<
  Env,
  'STAFF_NOTIFY_SMTP_URL' | 'STAFF_NOTIFY_EMAILS' | 'STAFF_NOTIFY_FROM' | 'STAFF_TELEGRAM_BOT_TOKEN' | 'STAFF_TELEGRAM_CHAT_ID' | 'STAFF_TELEGRAM_API_ROOT' | 'CONSOLE_PUBLIC_URL'
>;

export function staffNotifyConfigured(env: NotifyEnv): boolean {
  return Boolean(env.STAFF_NOTIFY_SMTP_URL || (env.STAFF_TELEGRAM_BOT_TOKEN && env.STAFF_TELEGRAM_CHAT_ID));
}

export function createStaffNotifier(deps: { env: NotifyEnv; db: Db; log: Logger; connection: ConnectionOptions; prefix: string }): StaffNotifier {
  const { env } = deps;
  const queue = new Queue<EscalationNotice>(STAFF_NOTIFY_QUEUE, { connection: deps.connection, prefix: deps.prefix });
  const mailer = env.STAFF_NOTIFY_SMTP_URL ? nodemailer.createTransport(env.STAFF_NOTIFY_SMTP_URL) : null;
  const link = (id: number) => (env.CONSOLE_PUBLIC_URL ? `${env.CONSOLE_PUBLIC_URL.replace(/\/$/, '')}/console/conversations/${id}` : `/console/conversations/${id}`);

  const describe = (n: EscalationNotice) => {
    const urgent = n.queue === 'urgent';
    const subject = `${urgent ? '🚨 حالة عاجلة / URGENT' : 'محادثة تنتظر باحثًا / Chat waiting'} #${n.conversationId}`;
    const lines = [
      subject,
      `السبب / reason: ${n.reason ?? '-'}${n.priority ? ` (${n.priority})` : ''}`,
      `القناة / channel: ${n.channel}`,
      ...(n.researcherGender === 'female' ? ['طلب باحثة / asked for a female researcher'] : []),
      link(n.conversationId),
    ];
    return { subject, text: lines.join('\n') };
  };

  const worker = new Worker<EscalationNotice>(
    STAFF_NOTIFY_QUEUE,
    async (job) => {
      const n = escalationNoticeSchema.parse(job.data);
      const { subject, text } = describe(n);
      if (mailer) {
        const to = new Set((env.STAFF_NOTIFY_EMAILS ?? '').split(',').map((s) => s.trim()).filter(Boolean));
        if (n.queue === 'urgent') {
          const onDuty = await deps.db
            .select({ email: staff.email })
            .from(staff)
            .where(and(eq(staff.active, true), eq(staff.onDuty, true), inArray(staff.role, ['supervisor', 'admin'])));
          for (const s of onDuty) to.add(s.email);
        }
        if (to.size) {
          try {
            await mailer.sendMail({ from: env.STAFF_NOTIFY_FROM, to: [...to], subject, text, headers: n.queue === 'urgent' ? { Importance: 'high', 'X-Priority': '1' } : {} });
          } catch (err) {
            throw new StaffNotifyError(`e-mail to staff failed: ${(err as Error).message}`, 'email', { cause: err });
          }
        }
      }
      if (env.STAFF_TELEGRAM_BOT_TOKEN && env.STAFF_TELEGRAM_CHAT_ID) {
        const res = await fetch(`${env.STAFF_TELEGRAM_API_ROOT.replace(/\/$/, '')}/bot${env.STAFF_TELEGRAM_BOT_TOKEN}/sendMessage`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ chat_id: env.STAFF_TELEGRAM_CHAT_ID, text, disable_web_page_preview: true }),
        });
        if (!res.ok) throw new StaffNotifyError(`Telegram staff group answered ${res.status}: ${(await res.text()).slice(0, 200)}`, 'telegram');
      }
    },
    { connection: deps.connection, prefix: deps.prefix, concurrency: 2 },
  );
  worker.on('failed', (job, err) => deps.log.warn({ err, conversationId: job?.data.conversationId, attempts: job?.attemptsMade }, 'staff notification failed'));

  return {
    async notify(notice) {
      await queue.add('escalation.notify', notice, {
        jobId: `esc-${notice.conversationId}-${Date.parse(notice.handedOffAt)}-${notice.queue}`,
        attempts: 6,
        backoff: { type: 'exponential', delay: 5000 },
        removeOnComplete: { age: 24 * 3600 },
        removeOnFail: { age: 7 * 24 * 3600 },
      });
    },
    async close() {
      await worker.close();
      await queue.close();
      mailer?.close();
    },
  };
}
