/**
 * The beneficiary-message intents Wasl recognises (labels defined in the eval README). The order is
 * stable and used for display only.
 */
export const intentNames = [
  'apply_support',
  'required_documents',
  'request_status',
  'processing_time',
  'talk_to_human',
  'complaint',
  'rate_service',
  'volunteer',
  'contact_info',
  'update_data',
  'eligibility',
  'aid_types',
  'greeting',
  /** A copy, correction or deletion of one's data (PDPL); added after the eval README's 15 labels. */
  'data_request',
  'urgent_human',
  'unclear',
] as const;

/** One of {@link intentNames}. */
export type IntentName = (typeof intentNames)[number];
