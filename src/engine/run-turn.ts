/**
 * The flow interpreter: one inbound message in, the conversation's next state and replies out.
 * It does no I/O of its own — actions (which touch the database) are injected and run inside the caller's
 * transaction, and replies are template references rendered by the caller — so a turn is deterministic and
 * can be replayed after a crash with the same result.
 */
import type { ChannelName } from '../messages/channel-name';
import type { InboundMedia } from '../messages/inbound-message';
import type { ReplyInput, TemplateParam } from '../messages/outbound-message';
import type { Sealer } from '../identity/sealed-value';
import type { Language } from '../templating/template-catalog';
import { defaultHandoffPolicy, type HandoffPolicy } from '../nlu/handoff-policy-schema';
import { intentNames, type IntentName } from '../nlu/intent-names';
import { faqIntents, flowForIntent, routeMessage, type RouteDecision } from '../nlu/route-message';
import { asksForFemaleResearcher } from '../nlu/researcher-preference';
import type { UnderstandingResult } from '../nlu/understanding';
import { actionCatalog, type ActionName } from './action-catalog';
import { type CommandMatcher, type GlobalCommand, normalizeForMatch } from './commands';
import { evaluateCondition } from './conditions';
import type { ConversationState, Frame } from './conversation-state';
import { checkAnswer, isStrictKind, matchChoice, type Answer } from './expectations';
import { FlowCatalog, HUMAN_FLOW, MAIN_MENU_FLOW } from './flow-catalog';
import { END, type ChoiceOption, type Flow, type Step, type StepOf } from './flow-schema';
import { openingTextVariable, planFreeText, topicLabel, type FreeTextPlan } from './free-text-plan';

/** What the engine needs from the Arabic-understanding module (src/nlu). */
export type TextUnderstanding = UnderstandingResult;

export type TurnEffect =
  | { kind: 'handoff'; reason: string; priority: 'normal' | 'high' | 'urgent'; researcherGender?: 'female' | 'male' }
  | { kind: 'return-to-bot' }
  /** The beneficiary's choice of researcher, answered after the handoff; null = no preference. */
  | { kind: 'researcher-preference'; gender: 'female' | 'male' | null }
  /** Replace the stored text of an inbound message (a national ID is kept only sealed). */
  | { kind: 'redact-input'; text: string }
  /** An action wrote a message into another conversation's outbox; it is queued once the turn commits. */
  | { kind: 'send'; messageId: number; channel: ChannelName; conversationId: number };

export interface ActionCall {
  name: ActionName;
  args: Record<string, string | number | boolean>;
  frame: Frame;
  /** The flow revision the frame runs on (e.g. to know which answers a review step lists). */
  flow: Flow;
  language: Language;
}

export interface ActionResult {
  outcome: string;
  outputs?: Record<string, string | number | boolean>;
  replies?: ReplyInput[];
  effects?: TurnEffect[];
  language?: Language;
}

export interface EngineDeps {
  flows: FlowCatalog;
  commands: CommandMatcher;
  /** Labels of choice options in every language, to match what people type. */
  labelsOf(templateKey: string): string[];
  understand(text: string): TextUnderstanding | null;
  faqReply(faqId: string, language: Language): ReplyInput;
  runAction(call: ActionCall): Promise<ActionResult>;
  sealer: Sealer;
  defaultLanguage: Language;
  /** Confidence from which an intent may pick a menu option or an FAQ entry may answer. */
  thresholds?: { intent: number; faq: number };
  /** The organisation profile's `handoff` section: when free text is answered, clarified or handed over. */
  policy?: HandoffPolicy;
}

export interface TurnInput {
  text: string;
  media: InboundMedia[];
}

export interface TurnResult {
  state: ConversationState;
  replies: ReplyInput[];
  effects: TurnEffect[];
}

export type ConversationMode = 'bot' | 'waiting' | 'human' | 'resolved';

export class FlowRuntimeError extends Error {
  constructor(message: string, readonly flow: string, readonly step: string) {
    super(`${flow} › ${step}: ${message}`);
    this.name = 'FlowRuntimeError';
  }
}

const MAX_STEPS_PER_TURN = 200;
/** Frame variable that remembers a clarifying question's topics until the next message (see `clarify`). */
const CLARIFY_OFFER = 'clarifyOffer';
/** Fewer words than this is a wish ("ابغى اقدم شكوى"), not yet the story itself. */
const OPENING_TEXT_MIN_WORDS = 4;
// `\b` knows only ASCII word characters, so Arabic words end at a space or the end of the text.
const QUESTION_WORDS = /^(كيف|متي|كم|وش|ايش|شو|هل|ماذا|ماهي|ما هي|لماذا|ليش|ليه|وين|اين|فين|مين|how|what|when|where|why|can|do|does|is|are)(?=\s|$)/;

export async function runTurn(deps: EngineDeps, state: ConversationState, input: TurnInput, mode: ConversationMode = 'bot'): Promise<TurnResult> {
  const turn = new Turn(deps, structuredClone(state), input);
  await turn.run(mode);
  return { state: turn.state, replies: turn.replies, effects: turn.effects };
}

/**
 * Starts `flowId` for a conversation without a message to answer (a researcher hands the chat back into a chosen
 * flow): the flow runs from its start until its first question, whose prompt is among the replies. `data` seeds
 * the new frame's variables.
 */
export async function startFlowTurn(deps: EngineDeps, state: ConversationState, flowId: string, data: Record<string, string> = {}): Promise<TurnResult> {
  const turn = new Turn(deps, structuredClone(state), { text: '', media: [] });
  turn.state.frame = null;
  turn.state.misses = 0;
  await turn.begin(flowId, data);
  return { state: turn.state, replies: turn.replies, effects: turn.effects };
}

class Turn {
  readonly replies: ReplyInput[] = [];
  readonly effects: TurnEffect[] = [];
  private understanding: TextUnderstanding | null | undefined;
  /** Entities from this message, offered to any flow started during the turn (e.g. a reference number). */
  private seed: Record<string, string> = {};

  constructor(
    private readonly deps: EngineDeps,
    readonly state: ConversationState,
    private readonly input: TurnInput,
  ) {}

  private get lang(): Language {
    return this.state.language ?? this.deps.defaultLanguage;
  }

  private understand(): TextUnderstanding | null {
    if (this.understanding === undefined) {
      this.understanding = this.input.text.trim() ? this.deps.understand(this.input.text) : null;
      const ref = this.understanding?.entities.referenceNumbers[0];
      if (ref) this.seed.reference = ref;
    }
    return this.understanding;
  }

  private confidentIntent(): string | null {
    const u = this.understand();
    return u && u.intent !== 'unclear' && u.confidence >= (this.deps.thresholds?.intent ?? 0.5) ? u.intent : null;
  }

  private faqMatch(): string | null {
    const u = this.understand();
    return u?.faq && u.faq.confidence >= (this.deps.thresholds?.faq ?? 0.6) ? u.faq.id : null;
  }

  /** Starts a flow from its start step (see `startFlowTurn`). */
  begin(flowId: string, data: Record<string, string>): Promise<void> {
    return this.startFlow(flowId, data);
  }

  async run(mode: ConversationMode): Promise<void> {
    const text = this.input.text;
    const command = text ? this.deps.commands.globalCommand(text) : null;

    if (mode === 'human') return; // a researcher holds the chat: the bot never talks over a human
    if (mode === 'waiting') {
      if (command === 'menu' || command === 'cancel') {
        this.effects.push({ kind: 'return-to-bot' });
        this.say('handoff.returned-to-bot');
        this.state.frame = null;
        await this.startFlow(MAIN_MENU_FLOW);
      } else if (this.understand()?.urgent) {
        // A crisis told while waiting for a researcher: the emergency numbers now, and the queue learns it is urgent.
        this.say('handoff.urgent');
        this.effects.push({ kind: 'handoff', reason: 'urgent', priority: 'urgent' });
      } else {
        await this.answerWhileWaiting();
      }
      return;
    }

    const frame = this.state.frame;
    if (frame?.offeringHuman) {
      frame.offeringHuman = false;
      const reply = this.offerAnswer(text);
      if (reply === 'yes') return this.startFlow(HUMAN_FLOW);
      if (reply === 'no') {
        frame.attempts = 0;
        return this.reprompt();
      }
    }
    const step = frame ? this.currentStep() : undefined;
    // An exact option of the question on screen beats a command spelled the same ("English" in the language menu).
    const exactOption = step?.type === 'ask' && step.expect.kind === 'choice' && this.exactOption(step.expect.options);
    if (command && !exactOption) return this.command(command);
    if (!frame) return this.fromIdle();
    if (!step) {
      // The flow changed under the conversation and its revision is gone: start again politely.
      this.state.frame = null;
      return this.startFlow(MAIN_MENU_FLOW);
    }
    if (step.type === 'ask') {
      const menu = this.menuOf(step);
      return menu ? this.answerMenu(menu) : this.answerAsk(step);
    }
    if (step.type === 'review') return this.answerReview(step);
    // A frame resting on a non-waiting step means an earlier turn failed halfway; continue from there.
    return this.advance(frame.step);
  }

  /**
   * The researcher flow may ask one choice after handing off (which researcher the beneficiary prefers). While
   * the chat waits, a message that is exactly one of its options (by number, label or word) answers it; anything
   * else is for the researcher and gets no reply from the bot.
   */
  private async answerWhileWaiting(): Promise<void> {
    const frame = this.state.frame;
    if (frame?.flow !== HUMAN_FLOW) return;
    const step = this.currentStep();
    if (step?.type !== 'ask' || step.expect.kind !== 'choice') return;
    const n = normalizeForMatch(this.input.text);
    const option = /^\d+$/.test(n)
      ? step.expect.options[Number(n) - 1]
      : step.expect.options.find((o) => [...this.deps.labelsOf(o.label), ...o.words].some((w) => normalizeForMatch(w) === n));
    if (option) await this.accept(step, { ok: true, value: option.value }, option);
  }

  /** Yes/no to "shall we bring a researcher?", by word or by the number shown. */
  private offerAnswer(text: string): 'yes' | 'no' | null {
    const n = normalizeForMatch(text);
    if (n === '1' || this.deps.commands.is('yes', text)) return 'yes';
    if (n === '2' || this.deps.commands.is('no', text)) return 'no';
    return null;
  }

  /** An option's label (any language) or word is the whole message; `value` too when `byValue`. */
  private exactOption(options: ChoiceOption[], byValue = false): boolean {
    const n = normalizeForMatch(this.input.text);
    return options.some((o) => [...this.deps.labelsOf(o.label), ...o.words, ...(byValue ? [o.value] : [])].some((w) => normalizeForMatch(w) === n));
  }

  // ── commands ────────────────────────────────────────────────────────────────

  private async command(command: GlobalCommand): Promise<void> {
    switch (command) {
      case 'menu':
        this.state.frame = null;
        return this.startFlow(MAIN_MENU_FLOW);
      case 'cancel':
        this.state.frame = null;
        this.say('common.cancelled');
        return this.startFlow(MAIN_MENU_FLOW);
      case 'human':
        return this.startFlow(HUMAN_FLOW, this.preferenceInWords());
      case 'language': {
        const named = this.deps.commands.namedLanguage(this.input.text);
        this.state.language = named ?? (this.lang === 'ar' ? 'en' : 'ar');
        this.say('language.changed');
        return this.state.frame ? this.reprompt() : this.startFlow(MAIN_MENU_FLOW);
      }
      case 'back': {
        const frame = this.state.frame;
        const previous = frame?.history.pop();
        if (!frame || !previous) {
          this.say('common.nothing-to-go-back-to');
          return frame ? this.reprompt() : this.startFlow(MAIN_MENU_FLOW);
        }
        frame.step = previous;
        frame.attempts = 0;
        return this.reprompt();
      }
    }
  }

  /**
   * "ابي باحثة": words that ask for a person and already say which; the researcher flow does not ask again.
   * Read only when the message asked for a person — never from a crisis or a message the bot did not understand,
   * where "امرأة" describes someone and must not narrow who may take the chat.
   */
  private preferenceInWords(): Record<string, string> {
    return asksForFemaleResearcher(this.input.text) ? { researcherGender: 'female' } : {};
  }

  private async urgent(): Promise<void> {
    this.state.misses = 0;
    this.say('handoff.urgent');
    this.state.frame = null;
    await this.startFlow(HUMAN_FLOW, { handoffReason: 'urgent', handoffPriority: 'urgent' });
  }

  // ── idle and the main menu: the message says what the person wants ─────────

  private async fromIdle(): Promise<void> {
    // Danger overrides everything, whatever else the message asks (eval/README.md, rule 1).
    if (this.understand()?.urgent) return this.urgent();
    const menu = this.loadFlow(MAIN_MENU_FLOW);
    this.state.frame = this.newFrame(MAIN_MENU_FLOW, menu.revision, menu.flow.start);
    const start = menu.flow.steps[menu.flow.start];
    const menuStep = start?.type === 'ask' ? this.menuOf(start) : null;
    if (menuStep && normalizeForMatch(this.input.text)) return this.answerMenu(menuStep);
    return this.advance(menu.flow.start, { force: true });
  }

  /** The main menu's choice step, with its options, when `step` is one. */
  private menuOf(step: StepOf<'ask'>): MenuStep | null {
    if (this.state.frame?.flow !== MAIN_MENU_FLOW || step.expect.kind !== 'choice') return null;
    return { step, options: step.expect.options };
  }

  /**
   * A number or an exact option is a choice; anything else is free text, routed by its meaning
   * (src/nlu/route-message.ts, then free-text-plan.ts): a person, a complaint, an FAQ answer, a flow, the
   * welcome, or one clarifying question.
   */
  private async answerMenu(menu: MenuStep): Promise<void> {
    const offer = this.takeClarifyOffer();
    const picked = offer && this.pickOffered(offer);
    if (picked) return this.followOffered(picked, menu);
    const n = normalizeForMatch(this.input.text);
    // A number or an exact option is a plain choice; nothing readable gets the question's own validation message.
    if (!n || /^\d+$/.test(n) || this.exactOption(menu.options, true)) return this.answerAsk(menu.step);
    if (this.understand()?.urgent) return this.urgent();
    const plan = this.plan('menu');
    if (!plan) return this.answerAsk(menu.step);
    if (plan.do === 'clarify') {
      // Words of an option inside the message ("ابي تقديم طلب للبيت") still say what is wanted.
      const contained = matchChoice(menu.options, this.input.text, { labels: (o) => this.deps.labelsOf(o.label), intent: null });
      if (contained) {
        this.state.misses = 0;
        return this.accept(menu.step, { ok: true, value: contained.value }, contained);
      }
    }
    return this.carryOut(plan, menu);
  }

  /** Routes an understood message; null when there is no text to understand. Keeps `misses` up to date. */
  private plan(place: 'menu' | 'flow'): FreeTextPlan | null {
    const u = this.understand();
    if (!u) return null;
    const route: RouteDecision = routeMessage(u, this.deps.policy ?? defaultHandoffPolicy);
    const outcome = planFreeText(route, {
      place,
      misses: this.state.misses,
      confident: this.confidentIntent() !== null,
      faqId: this.faqMatch(),
      hasReference: u.entities.referenceNumbers.length > 0,
    });
    this.state.misses = outcome.misses;
    return outcome.plan;
  }

  /** Carries out a plan; `menu` is the main menu on screen, or null inside another flow. */
  private async carryOut(plan: FreeTextPlan, menu: MenuStep | null): Promise<void> {
    switch (plan.do) {
      case 'urgent':
        return this.urgent();
      case 'human':
        if (plan.reason === 'unclear') this.say('clarify.to-human');
        this.state.frame = null;
        return this.startFlow(HUMAN_FLOW, plan.reason === 'unclear' ? { handoffReason: 'unclear' } : this.preferenceInWords());
      case 'complaint':
        return this.startComplaint();
      case 'answer-faq':
        this.replies.push(this.deps.faqReply(plan.faqId, this.lang));
        if (menu) return this.offerChoices('menu.after-answer', menu.options);
        this.say('common.resume');
        return this.reprompt();
      case 'start-flow': {
        // The menu's own option for the intent keeps the organisation's `next` (flows/main-menu.flow.yaml).
        const option = menu?.options.find((o) => o.intents.includes(plan.intent));
        if (menu && option) return this.accept(menu.step, { ok: true, value: option.value }, option);
        if (!this.deps.flows.get(plan.flow)) return this.reprompt();
        this.seedOpeningText(plan.intent);
        this.state.frame = null;
        return this.startFlow(plan.flow);
      }
      case 'welcome':
        return this.reprompt();
      case 'clarify':
        return menu ? this.clarify(plan.options, menu) : this.reprompt();
      case 'not-an-answer':
        throw new FlowRuntimeError('a message that is not an answer reached carryOut', this.state.frame?.flow ?? '-', this.state.frame?.step ?? '-');
    }
  }

  /**
   * One clarifying question: the two likeliest topics and a researcher, as choices. The offer lives in the
   * menu frame until the next message, which either picks one or is routed afresh (a second miss → a person).
   */
  private clarify(options: IntentName[], menu: MenuStep): Promise<void> {
    if (options.length === 0) return this.offerChoices('clarify.ask-open', menu.options);
    const offered: IntentName[] = options.includes('talk_to_human') ? options : [...options, 'talk_to_human'];
    this.state.frame!.data[CLARIFY_OFFER] = offered.join(' ');
    this.replies.push({ template: 'clarify.ask', choices: offered.map((i) => ({ value: i, label: topicLabel(i) })) });
    return Promise.resolve();
  }

  /** The topics of the clarifying question just asked, if any; the offer holds for one message only. */
  private takeClarifyOffer(): IntentName[] | null {
    const data = this.state.frame!.data;
    const offer = data[CLARIFY_OFFER];
    delete data[CLARIFY_OFFER];
    if (typeof offer !== 'string') return null;
    const known: readonly string[] = intentNames;
    return offer.split(' ').filter((i): i is IntentName => known.includes(i));
  }

  /** An offered topic picked by its number or its label. */
  private pickOffered(intents: IntentName[]): IntentName | null {
    const n = normalizeForMatch(this.input.text);
    if (/^\d+$/.test(n)) return intents[Number(n) - 1] ?? null;
    return intents.find((i) => this.deps.labelsOf(topicLabel(i)).some((l) => normalizeForMatch(l) === n)) ?? null;
  }

  private followOffered(intent: IntentName, menu: MenuStep): Promise<void> {
    this.state.misses = 0;
    if (intent === 'talk_to_human') return this.carryOut({ do: 'human', reason: 'requested' }, menu);
    if (intent === 'complaint') return this.startComplaint();
    if (faqIntents.has(intent)) {
      // The topic's name is the question ("أنواع المساعدات"): the questions flow answers it from the FAQ at once.
      const question = this.deps.labelsOf(topicLabel(intent)).find((l) => this.deps.understand(l)?.intent === intent);
      if (question) this.seed.question = question;
    }
    const flows: Partial<Record<IntentName, string>> = flowForIntent;
    return this.carryOut({ do: 'start-flow', flow: flows[intent] ?? MAIN_MENU_FLOW, intent }, menu);
  }

  /** A message with the main menu's choices under it; the frame stays on the menu, so a number picks one. */
  private offerChoices(template: string, options: ChoiceOption[]): Promise<void> {
    this.replies.push({ template, choices: options.map((o) => ({ value: o.value, label: o.label })) });
    return Promise.resolve();
  }

  /** Complaints are always recorded and go to a person: the complaint flow stores them and hands off (high). */
  private startComplaint(): Promise<void> {
    this.seedOpeningText('complaint');
    this.state.frame = null;
    if (this.deps.flows.get(flowForIntent.complaint)) return this.startFlow(flowForIntent.complaint);
    return this.startFlow(HUMAN_FLOW, { handoffReason: 'complaint', handoffPriority: 'high' });
  }

  /**
   * A message that already tells the grievance or the change ("كل ما اتصل محد يرد") is kept in the variable
   * the flow's `skipIfSet` question saves, so the beneficiary never writes it twice; a short wish
   * ("ابي اشتكي", "ابي احدث بياناتي") is not the story yet, and the flow asks for it.
   */
  private seedOpeningText(intent: IntentName): void {
    const variable = openingTextVariable[intent];
    const words = normalizeForMatch(this.input.text).split(' ').filter(Boolean);
    if (variable && words.length >= OPENING_TEXT_MIN_WORDS) this.seed[variable] = this.input.text.trim();
  }

  // ── answering a question ────────────────────────────────────────────────────

  private async answerAsk(step: StepOf<'ask'>): Promise<void> {
    const frame = this.state.frame!;
    const text = this.input.text;
    if (step.skippable && this.deps.commands.is('skip', text)) {
      // A skipped question leaves no answer behind, not the previous round's.
      delete frame.data[step.saveAs];
      delete frame.files[step.saveAs];
      frame.history.push(frame.step);
      frame.attempts = 0;
      return this.advance(this.afterAnswer(step));
    }
    const answer = checkAnswer(
      step.expect,
      this.input,
      { labels: (o) => this.deps.labelsOf(o.label), intent: this.confidentIntent() },
      (t) => this.deps.commands.is('mine', t),
    );
    // A valid strict answer (an option, a number, an ID) cannot describe a danger, so it is never taken for one;
    // free text can ("زوجي يضربني" as the description of the situation), and safety comes before the form.
    if (!(answer.ok && isStrictKind(step.expect.kind)) && this.understand()?.urgent) return this.urgent();
    // The question of a question-asking step is the answer itself, not a side question.
    const asksQuestion = this.stepAnswersFaq(step);
    const faq = this.input.text.trim() && !asksQuestion ? this.faqMatch() : null;
    // A strict answer (a number, an ID, a choice) is an answer; free text that reads as a question is a question.
    const prefersFaq = faq !== null && (!answer.ok || (!isStrictKind(step.expect.kind) && this.looksLikeQuestion()));
    if (prefersFaq) {
      this.replies.push(this.deps.faqReply(faq, this.lang));
      this.say('common.resume');
      return this.prompt(step);
    }
    if (answer.ok) {
      const option = step.expect.kind === 'choice' ? step.expect.options.find((o) => o.value === answer.value) : undefined;
      return this.accept(step, answer, option);
    }
    const plan = asksQuestion ? null : this.plan('flow');
    if (plan && plan.do !== 'not-an-answer') return this.carryOut(plan, null);
    return this.miss(step, step.invalid ?? answer.template ?? 'validation.choice', answer.params);
  }

  private stepAnswersFaq(step: StepOf<'ask'>): boolean {
    const next = this.currentFlow()?.steps[step.next];
    return next?.type === 'action' && next.action === 'faq.answer';
  }

  private async answerReview(step: StepOf<'review'>): Promise<void> {
    const frame = this.state.frame!;
    const n = normalizeForMatch(this.input.text);
    if (n === '0' || this.deps.commands.is('yes', this.input.text)) {
      frame.history.push(frame.step);
      frame.attempts = 0;
      return this.advance(step.next);
    }
    if (/^\d+$/.test(n)) {
      const field = step.fields[Number(n) - 1];
      if (field) {
        frame.returnTo = frame.step;
        frame.attempts = 0;
        return this.advance(field.step, { force: true });
      }
    }
    if (this.understand()?.urgent) return this.urgent();
    const faq = this.faqMatch();
    if (faq) {
      this.replies.push(this.deps.faqReply(faq, this.lang));
      this.say('common.resume');
      return this.reprompt();
    }
    const plan = this.plan('flow');
    if (plan && plan.do !== 'not-an-answer') return this.carryOut(plan, null);
    return this.miss(step, 'review.confirm');
  }

  /** An answer that does not fit: explain and ask again, and after a few misses offer a researcher (policy step 3). */
  private miss(step: Step, template: string, params: Record<string, string | number> = {}): Promise<void> {
    const frame = this.state.frame!;
    frame.attempts += 1;
    const max = step.type === 'ask' ? step.maxAttempts : 3;
    if (frame.attempts >= max) {
      frame.offeringHuman = true;
      frame.attempts = 0;
      this.replies.push({
        template: 'common.offer-human',
        choices: [
          { value: 'yes', label: 'common.offer-human-yes' },
          { value: 'no', label: 'common.offer-human-no' },
        ],
      });
      return Promise.resolve();
    }
    this.say(template, params);
    return this.reprompt();
  }

  private async accept(step: StepOf<'ask'>, answer: Extract<Answer, { ok: true }>, option?: ChoiceOption): Promise<void> {
    const frame = this.state.frame!;
    if (answer.masked !== undefined) {
      frame.sealed[step.saveAs] = this.deps.sealer.seal(String(answer.value));
      frame.data[step.saveAs] = answer.masked;
      this.effects.push({ kind: 'redact-input', text: answer.masked });
    } else {
      frame.data[step.saveAs] = answer.value;
    }
    if (answer.media) frame.files[step.saveAs] = answer.media;
    frame.history.push(frame.step);
    frame.attempts = 0;
    this.state.misses = 0;
    return this.advance(option?.next ?? this.afterAnswer(step));
  }

  private afterAnswer(step: StepOf<'ask'>): string {
    const frame = this.state.frame!;
    const target = frame.returnTo ?? step.next;
    frame.returnTo = null;
    return target;
  }

  // ── running steps ───────────────────────────────────────────────────────────

  private async startFlow(flowId: string, data: Record<string, string> = {}): Promise<void> {
    const loaded = this.loadFlow(flowId);
    this.state.frame = this.newFrame(flowId, loaded.revision, loaded.flow.start, data);
    return this.advance(loaded.flow.start);
  }

  private newFrame(flow: string, revision: string, step: string, data: Record<string, string> = {}): Frame {
    return {
      flow,
      revision,
      step,
      data: { ...this.seed, ...data },
      sealed: {},
      files: {},
      history: [],
      returnTo: null,
      attempts: 0,
      offeringHuman: false,
    };
  }

  private loadFlow(id: string): { flow: Flow; revision: string } {
    const loaded = this.deps.flows.get(id);
    if (!loaded) throw new FlowRuntimeError(`flow "${id}" is not loaded`, id, '-');
    return loaded;
  }

  private currentFlow(): Flow | undefined {
    const frame = this.state.frame;
    return frame ? this.deps.flows.revision(frame.flow, frame.revision) : undefined;
  }

  private currentStep(): Step | undefined {
    return this.currentFlow()?.steps[this.state.frame!.step];
  }

  /** Runs steps from `stepId` until one waits for the beneficiary or the flow ends. */
  private async advance(stepId: string, opts: { force?: boolean } = {}): Promise<void> {
    let id = stepId;
    let force = opts.force ?? false;
    for (let guard = 0; guard < MAX_STEPS_PER_TURN; guard++) {
      const frame = this.state.frame;
      if (!frame) return;
      if (id === END) {
        this.state.frame = null;
        return;
      }
      const flow = this.currentFlow();
      const step = flow?.steps[id];
      if (!flow || !step) throw new FlowRuntimeError(`unknown step "${id}"`, frame.flow, id);
      frame.step = id;
      switch (step.type) {
        case 'say':
          this.say(step.template);
          id = step.next;
          break;
        case 'ask':
          if (!force && step.skipIfSet && frame.data[step.saveAs] !== undefined) {
            id = step.next;
            break;
          }
          return this.prompt(step);
        case 'review':
          return this.prompt(step);
        case 'branch': {
          const hit = step.cases.find((c) => evaluateCondition(c.when, frame.data));
          id = hit ? hit.next : step.otherwise;
          break;
        }
        case 'action': {
          const result = await this.deps.runAction({ name: step.action as ActionName, args: { ...step.with }, frame, flow, language: this.lang });
          Object.assign(frame.data, result.outputs ?? {});
          this.replies.push(...(result.replies ?? []));
          this.effects.push(...(result.effects ?? []));
          if (result.language) this.state.language = result.language;
          const target = step.outcomes[result.outcome] ?? step.next;
          if (!target || !(actionCatalog[step.action as ActionName].outcomes as readonly string[]).includes(result.outcome)) {
            throw new FlowRuntimeError(`action "${step.action}" reported "${result.outcome}", which leads nowhere`, frame.flow, id);
          }
          id = target;
          break;
        }
        case 'flow': {
          const carried = this.carriedData(frame);
          const loaded = this.loadFlow(step.flow);
          this.state.frame = this.newFrame(step.flow, loaded.revision, loaded.flow.start, carried);
          id = loaded.flow.start;
          break;
        }
        case 'end':
          if (step.template) this.say(step.template);
          this.state.frame = null;
          return;
      }
      force = false;
    }
    throw new FlowRuntimeError(`more than ${MAX_STEPS_PER_TURN} steps without waiting for an answer`, this.state.frame?.flow ?? '-', id);
  }

  /** Handoff reason and priority survive a jump into the human flow. */
  private carriedData(frame: Frame): Record<string, string> {
    const out: Record<string, string> = {};
    for (const k of ['handoffReason', 'handoffPriority'] as const) {
      const v = frame.data[k];
      if (typeof v === 'string') out[k] = v;
    }
    return out;
  }

  private reprompt(): Promise<void> {
    const step = this.currentStep();
    if (!step) {
      this.state.frame = null;
      return this.startFlow(MAIN_MENU_FLOW);
    }
    return this.advance(this.state.frame!.step, { force: true });
  }

  private prompt(step: StepOf<'ask'> | StepOf<'review'>): Promise<void> {
    if (step.type === 'review') {
      const flow = this.currentFlow()!;
      this.replies.push({
        template: step.template,
        params: this.templateData(),
        lines: [
          ...step.fields.map((f, i) => ({
            template: 'review.line',
            params: { number: i + 1, label: { t: f.label }, value: this.displayValue(flow, f.step, f.var) },
          })),
          { template: 'review.confirm', params: {} },
        ],
      });
      return Promise.resolve();
    }
    this.replies.push({
      template: step.template,
      params: this.templateData(),
      choices: step.expect.kind === 'choice' ? step.expect.options.map((o) => ({ value: o.value, label: o.label })) : [],
      lines: step.skippable ? [{ template: 'common.skip-hint', params: {} }] : [],
    });
    return Promise.resolve();
  }

  /** How an answer reads on the review screen: a choice by its label, a missing one as "not given". */
  private displayValue(flow: Flow, stepId: string, variable: string): TemplateParam {
    const value = this.state.frame!.data[variable];
    if (value === undefined || value === '') return { t: 'review.not-given' };
    const step = flow.steps[stepId];
    if (step?.type === 'ask' && step.expect.kind === 'choice') {
      const option = step.expect.options.find((o) => o.value === value);
      if (option) return { t: option.label };
    }
    return typeof value === 'boolean' ? String(value) : value;
  }

  private templateData(): Record<string, TemplateParam> {
    const out: Record<string, TemplateParam> = {};
    for (const [k, v] of Object.entries(this.state.frame?.data ?? {})) out[k] = typeof v === 'boolean' ? String(v) : v;
    return out;
  }

  private say(template: string, params: Record<string, TemplateParam> = {}): void {
    this.replies.push({ template, params: { ...this.templateData(), ...params } });
  }

  private looksLikeQuestion(): boolean {
    const t = this.input.text;
    return /[؟?]/.test(t) || QUESTION_WORDS.test(normalizeForMatch(t));
  }
}

interface MenuStep {
  step: StepOf<'ask'>;
  options: ChoiceOption[];
}
