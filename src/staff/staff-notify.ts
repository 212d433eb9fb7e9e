/**
 * Tells staff outside the console — by e-mail and/or in a staff Telegram group — from the `staff-notify` BullMQ
 * queue, so a slow mail server never holds up the engine or a web request: new escalations (urgent ones also
 * page every supervisor on duty), and the WhatsApp session staying down and coming back (which page them too).
 * Notifications carry no beneficiary text or identity, only the case number, reason and a link: e-mail and
 * Telegram are outside the organisation's control. Any role may add to the queue (`createStaffNoticeQueue`);
 * the web role's console runs the worker.
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

/** The WhatsApp session has been down too long (`down`, once per outage), or is back after such an alert (`up`). */
export const whatsappNoticeSchema = z.object({
  kind: z.literal('whatsapp'),
  event: z.enum(['down', 'up']),
  clientId: z.string(),
  state: z.string(),
  reason: z.string().nullable(),
  downSince: z.iso.datetime(),
  upAt: z.iso.datetime().optional(),
});
export type WhatsappNotice = z.infer<typeof whatsappNoticeSchema>;

/** One job of the queue. Escalation notices carry no `kind` (they were the only kind at first). */
export const staffNoticeSchema = z.union([whatsappNoticeSchema, escalationNoticeSchema]);
export type StaffNotice = z.infer<typeof staffNoticeSchema>;

/** Adds notices from any role; the job id makes a repeat (another process, a retry) a no-op. */
export interface StaffNoticeQueue {
  add(notice: StaffNotice): Promise<void>;
  close(): Promise<void>;
}

const noticeJobId = (n: StaffNotice) =>
  'kind' in n ? `wa-${n.event}-${n.clientId}-${Date.parse(n.downSince)}` : `esc-${n.conversationId}-${Date.parse(n.handedOffAt)}-${n.queue}`;

export function createStaffNoticeQueue(connection: ConnectionOptions, prefix: string): StaffNoticeQueue {
  const queue = new Queue<StaffNotice>(STAFF_NOTIFY_QUEUE, { connection, prefix });
  return {
    async add(notice) {
      await queue.add('kind' in notice ? 'whatsapp.notify' : 'escalation.notify', notice, {
        jobId: noticeJobId(notice),
        attempts: 6,
        backoff: { type: 'exponential', delay: 5000 },
        removeOnComplete: { age: 24 * 3600 },
        removeOnFail: { age: 7 * 24 * 3600 },
      });
    },
    close: () => queue.close(),
  };
}

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
  const queue = createStaffNoticeQueue(deps.connection, deps.prefix);
  const mailer = env.STAFF_NOTIFY_SMTP_URL ? nodemailer.createTransport(env.STAFF_NOTIFY_SMTP_URL) : null;
  const consoleLink = (p: string) => (env.CONSOLE_PUBLIC_URL ? `${env.CONSOLE_PUBLIC_URL.replace(/\/$/, '')}${p}` : p);
  const link = (id: number) => consoleLink(`/console/conversations/${id}`);

  const describeWhatsapp = (n: WhatsappNotice) => {
    const since = n.downSince.slice(0, 16).replace('T', ' ');
    if (n.event === 'up') {
      const minutes = Math.max(1, Math.round((Date.parse(n.upAt ?? n.downSince) - Date.parse(n.downSince)) / 60_000));
      const subject = `✅ عاد واتساب للعمل / WhatsApp is back (${n.clientId})`;
      return { subject, text: [subject, `انقطع ${minutes} دقيقة منذ ${since} UTC / was down ${minutes} min since ${since} UTC`, 'الرسائل المنتظرة تُرسل الآن / queued replies are going out now'].join('\n') };
    }
    const needsScan = n.state === 'logged-out' || n.state === 'qr';
    const subject = `⚠️ واتساب منقطع / WhatsApp session down (${n.clientId})`;
    const lines = [
      subject,
      `منذ / since: ${since} UTC`,
      `الحالة / state: ${n.state}${n.reason ? ` (${n.reason})` : ''}`,
      needsScan
        ? 'يلزم مسح رمز QR جديد من جوال الجمعية / scan a new QR code with the charity\'s phone'
        : 'يحاول النظام إعادة الاتصال، والردود محفوظة في الطابور / reconnecting; replies wait in the queue',
      consoleLink('/console/channels/whatsapp'),
    ];
    return { subject, text: lines.join('\n') };
  };

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

  const worker = new Worker<StaffNotice>(
    STAFF_NOTIFY_QUEUE,
    async (job) => {
      const n = staffNoticeSchema.parse(job.data);
      const { subject, text } = 'kind' in n ? describeWhatsapp(n) : describe(n);
      // A lost WhatsApp session stops most beneficiaries' replies: as urgent as an urgent case.
      const urgent = 'kind' in n ? n.event === 'down' : n.queue === 'urgent';
      if (mailer) {
        const to = new Set((env.STAFF_NOTIFY_EMAILS ?? '').split(',').map((s) => s.trim()).filter(Boolean));
        if (urgent) {
          const onDuty = await deps.db
            .select({ email: staff.email })
            .from(staff)
            .where(and(eq(staff.active, true), eq(staff.onDuty, true), inArray(staff.role, ['supervisor', 'admin'])));
          for (const s of onDuty) to.add(s.email);
        }
        if (to.size) {
          try {
            await mailer.sendMail({ from: env.STAFF_NOTIFY_FROM, to: [...to], subject, text, headers: urgent ? { Importance: 'high', 'X-Priority': '1' } : {} });
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
  worker.on('failed', (job, err) => deps.log.warn({ err, jobId: job?.id, attempts: job?.attemptsMade }, 'staff notification failed'));

  return {
    notify: (notice) => queue.add(notice),
    async close() {
      await worker.close();
      await queue.close();
      mailer?.close();
    },
  };
}
