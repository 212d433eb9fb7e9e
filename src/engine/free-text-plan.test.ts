import type { RouteDecision } from '../nlu/route-message';
import { planFreeText, topicLabel, type FreeTextContext } from './free-text-plan';

const atMenu: FreeTextContext = { place: 'menu', misses: 0, confident: true, faqId: null, hasReference: false };
const inFlow: FreeTextContext = { ...atMenu, place: 'flow' };

const urgent: RouteDecision = { route: 'urgent_human', priority: 'urgent', reason: 'danger', countsAsMiss: false };
const askedForHuman: RouteDecision = { route: 'human', priority: 'normal', reason: 'asked_for_human', countsAsMiss: false };
const complaint: RouteDecision = { route: 'start_flow', flow: 'complaint', intent: 'complaint', countsAsMiss: false };
const unclear: RouteDecision = { route: 'clarify', options: ['aid_types', 'apply_support'], reason: 'unclear', countsAsMiss: true };
const faq: RouteDecision = { route: 'answer_faq', faqId: 'required-documents', intent: 'required_documents', countsAsMiss: false };
const status: RouteDecision = { route: 'start_flow', flow: 'status', intent: 'request_status', countsAsMiss: false };
const greeting: RouteDecision = { route: 'reply', intent: 'greeting', countsAsMiss: false };

describe('planFreeText', () => {
  test('danger goes to a person in any place, even at low confidence, and clears the miss count', () => {
    for (const ctx of [atMenu, inFlow, { ...inFlow, confident: false, misses: 1 }]) {
      expect(planFreeText(urgent, ctx)).toEqual({ plan: { do: 'urgent' }, misses: 0 });
    }
  });

  test('an explicit wish for a person and a complaint go to a person; complaints through the complaint flow', () => {
    expect(planFreeText(askedForHuman, atMenu).plan).toEqual({ do: 'human', reason: 'requested' });
    expect(planFreeText(complaint, atMenu).plan).toEqual({ do: 'complaint' });
    expect(planFreeText(complaint, inFlow).plan).toEqual({ do: 'complaint' });
  });

  test('inside a form, only a confident wish leaves it; another topic keeps the question', () => {
    expect(planFreeText(askedForHuman, { ...inFlow, confident: false }).plan).toEqual({ do: 'not-an-answer' });
    expect(planFreeText(status, inFlow).plan).toEqual({ do: 'not-an-answer' });
    expect(planFreeText(greeting, inFlow).plan).toEqual({ do: 'not-an-answer' });
    expect(planFreeText(unclear, inFlow)).toEqual({ plan: { do: 'not-an-answer' }, misses: 0 });
  });

  test('FAQ answers in any place; flows and the welcome start from the menu', () => {
    expect(planFreeText(faq, inFlow).plan).toEqual({ do: 'answer-faq', faqId: 'required-documents' });
    expect(planFreeText(faq, atMenu).plan).toEqual({ do: 'answer-faq', faqId: 'required-documents' });
    expect(planFreeText(status, atMenu).plan).toEqual({ do: 'start-flow', flow: 'status', intent: 'request_status' });
    expect(planFreeText(greeting, atMenu).plan).toEqual({ do: 'welcome' });
  });

  test('one clarifying question with the offered topics, then a person on the second miss in a row', () => {
    const first = planFreeText(unclear, atMenu);
    expect(first).toEqual({ plan: { do: 'clarify', options: ['aid_types', 'apply_support'] }, misses: 1 });
    const second = planFreeText(unclear, { ...atMenu, misses: first.misses });
    expect(second).toEqual({ plan: { do: 'human', reason: 'unclear' }, misses: 0 });
  });

  test('any understood message resets the miss count', () => {
    for (const route of [faq, status, greeting, askedForHuman]) expect(planFreeText(route, { ...atMenu, misses: 1 }).misses).toBe(0);
  });

  test('a reference number or a confident FAQ entry is enough to act without a clarifying question', () => {
    expect(planFreeText(unclear, { ...atMenu, hasReference: true }).plan).toEqual({ do: 'start-flow', flow: 'status', intent: 'request_status' });
    expect(planFreeText(unclear, { ...atMenu, faqId: 'data-privacy' }).plan).toEqual({ do: 'answer-faq', faqId: 'data-privacy' });
  });
});

test('topic labels are template keys (kebab-case after the group)', () => {
  expect(topicLabel('apply_support')).toBe('topics.apply-support');
});
