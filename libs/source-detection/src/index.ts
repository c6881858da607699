export { classifyTouch, type PageView } from './classify-touch';
export type { SegmentCampaign } from './campaign-params';
export { DEFAULT_UNWANTED_REFERRALS } from './default-unwanted-referrals';
export { CLICK_ID_RULES, type ClickIdRule } from './click-ids';
