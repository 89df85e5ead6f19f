// UI strings in Simplified Chinese (zh), Traditional Chinese for Hong Kong (zh-HK) and English. The
// language defaults to navigator.language (zh-HK, zh-TW, zh-MO and zh-Hant → zh-HK) and is kept in
// localStorage ("tuoke.lang") once the user picks one. zh-HK falls back to zh, then en, per key.
const STRINGS = {
  zh: {
    lang_toggle: 'English', lang_toggle_label: '切换到英文界面', skip: '跳到主要内容',
    chat_title: '在线咨询', chat_subtitle: 'AI 智能助手为您解答', chat_input_label: '输入您的消息',
    chat_subtitle_open: 'AI 智能助手为您解答 · 人工顾问在线', chat_subtitle_closed: 'AI 智能助手为您解答 · 人工顾问已下班',
    chat_subtitle_closed_until: 'AI 智能助手为您解答 · 人工顾问 {time} 上线', ui_language: '界面语言',
    agent_named_joined: '{name} 已接入对话', handoff_waiting: '正在为您联系顾问…（AI 助手会继续为您解答）',
    handoff_nobody: '顾问暂时都在忙，还没能接入。留下电话，我们安排顾问回电。',
    handoff_closed: '现在是非工作时间，人工顾问不在线。留下电话，我们上班后回电。',
    callback_done: '已登记回电，顾问会按您方便的时间联系您。', callback_title: '请顾问回电给我',
    callback_name: '您的称呼（选填）', callback_phone: '手机号码', callback_time: '方便接听的时间',
    callback_submit: '提交回电请求', callback_thanks: '已收到您的回电请求，顾问会打 {phone} 联系您。',
    callback_bad_phone: '请填写有效的电话号码（6–20 位数字）', time_asap: '尽快', time_morning: '上午（9–12 点）',
    time_afternoon: '下午（12–18 点）', time_evening: '晚上（18–21 点）', quick_replies: '您可能想问',
    unread: '{n} 条新消息', price: '价格', ai_badge: 'AI',
    chat_placeholder: '请输入消息…', send: '发送', sending: '发送中…', send_failed: '发送失败，联网后自动重发',
    you: '我', bot: 'AI 助手', agent: '人工顾问', connecting: '正在连接…', reconnecting: '网络中断，正在重新连接…',
    connected: '已连接', offline: '已离线，消息会在联网后发送', agent_joined: '人工客服已接入对话', agent_requested: '已通知人工顾问，稍后会与您联系；在此期间我继续为您解答',
    bot_back: '人工客服已结束接待，智能顾问继续为您服务', no_key: '缺少挂件密钥（data-key）。', new_chat: '新对话',
    typing: 'AI 助手正在输入…', open_chat: '打开在线咨询', close_chat: '关闭在线咨询', chat_error: '出错了：',
    dash_title: '拓客 · 销售看板', login_title: '登录销售看板', login_key: 'API 密钥（销售或管理员）', login: '登录',
    logout: '退出', login_failed: '登录失败：', nav_leads: '线索', nav_charts: '报表', nav_playbook: '话术剧本',
    nav_kb: '产品知识库', leads_title: '销售线索', filter_grade: '等级', filter_stage: '阶段', filter_min_score: '最低分',
    filter_search: '搜索最近消息', all: '全部', col_grade: '等级', col_score: '分数', col_stage: '阶段', col_status: '状态',
    col_last_activity: '最近活动', col_last_message: '最近消息', open: '查看', no_leads: '暂无符合条件的线索',
    live: '实时', live_off: '实时连接中断', leads_count: '共 {n} 条线索', back_to_leads: '← 返回线索',
    transcript: '对话记录', lead: '线索评级', evidence: '评分依据', turn: '第 {n} 轮', points: '分',
    take_over: '接管对话', reply_as_agent: '以人工身份回复', reply_label: '回复内容', send_reply: '发送回复',
    hand_back: '交还机器人', handoff_summary: '转人工摘要', reason: '原因', needs: '客户需求', slots: '已收集信息',
    sentiment_avg: '近期情绪', last_turns: '最近几轮', status_bot: '机器人接待', status_handed_off: '人工接待', status_requested: '等待人工',
    status_closed: '已关闭', intent: '意图', confidence: '置信度', sentiment: '情绪', dialect: '方言', language: '语言',
    entities: '实体', none: '无', charts_title: '销售报表', chart_grade: '各等级线索数', chart_intents: '意图分布',
    chart_sentiment: '每日情绪', chart_funnel: '销售漏斗（各阶段会话数）', chart_per_day: '每日会话数', count: '数量',
    positive: '正面', neutral: '中性', negative: '负面', conversations: '会话', data_table: '查看数据表',
    playbook_title: '话术剧本（只读）', kb_title: '产品知识库（只读）', products: '产品', faqs: '常见问题',
    competitors: '竞品', price: '价格', features: '亮点', specs: '参数', delivery: '配送', warranty: '保修',
    stages: '阶段', nodes: '节点', interrupts: '全局跳转', rules: '通用规则', company: '公司', loading: '加载中…',
    load_failed: '加载失败：', agent_name: '坐席', you_took_over: '您已接管，机器人暂停回复。', not_found: '未找到',
    customer: '客户', error_prefix: '错误：', handoff_alert: '会话 {id} 请求转人工', updated: '已更新',
    grade_label: '等级 {g}', score_label: '{s} 分', stock: '库存', discount: '优惠', answer: '回答', weaknesses: '劣势',
    switching_offer: '转换优惠', hours: '营业时间', tagline: '简介', contact: '联系方式', replies: '回复', transitions: '跳转',
  },
  en: {
    lang_toggle: '中文', lang_toggle_label: 'Switch to Chinese', skip: 'Skip to main content',
    chat_title: 'Chat with us', chat_subtitle: 'An AI assistant answers you', chat_input_label: 'Type your message',
    chat_subtitle_open: 'AI assistant · advisers are online', chat_subtitle_closed: 'AI assistant · advisers are offline now',
    chat_subtitle_closed_until: 'AI assistant · advisers online from {time}', ui_language: 'Language',
    agent_named_joined: '{name} has joined the chat', handoff_waiting: 'Finding an adviser for you… (the AI assistant keeps answering)',
    handoff_nobody: 'Our advisers are all busy and nobody could join yet. Leave your number and an adviser will call you back.',
    handoff_closed: 'Our advisers are offline outside opening hours. Leave your number and we will call you back.',
    callback_done: 'Call-back booked: an adviser will call you at the time you chose.', callback_title: 'Ask an adviser to call me',
    callback_name: 'Your name (optional)', callback_phone: 'Phone number', callback_time: 'Best time to call',
    callback_submit: 'Request a call-back', callback_thanks: 'Thank you: an adviser will call {phone}.',
    callback_bad_phone: 'Please enter a valid phone number (6–20 digits)', time_asap: 'As soon as possible', time_morning: 'Morning (9–12)',
    time_afternoon: 'Afternoon (12–18)', time_evening: 'Evening (18–21)', quick_replies: 'You could ask',
    unread: '{n} new messages', price: 'Price', ai_badge: 'AI',
    chat_placeholder: 'Type a message…', send: 'Send', sending: 'Sending…', send_failed: 'Not sent yet; will retry when online',
    you: 'You', bot: 'AI assistant', agent: 'Adviser', connecting: 'Connecting…', reconnecting: 'Connection lost, reconnecting…',
    connected: 'Connected', offline: 'Offline: messages will be sent when you are back online', agent_joined: 'A human agent has joined', agent_requested: 'A colleague has been notified and will get back to you; meanwhile I keep answering',
    bot_back: 'The agent has left; the assistant continues', no_key: 'Missing widget key (data-key).', new_chat: 'New chat',
    typing: 'The AI assistant is typing…', open_chat: 'Open chat', close_chat: 'Close chat', chat_error: 'Error: ',
    dash_title: 'Tuoke · Sales dashboard', login_title: 'Sign in to the sales dashboard', login_key: 'API key (agent or admin)', login: 'Sign in',
    logout: 'Sign out', login_failed: 'Sign-in failed: ', nav_leads: 'Leads', nav_charts: 'Charts', nav_playbook: 'Playbook',
    nav_kb: 'Product KB', leads_title: 'Leads', filter_grade: 'Grade', filter_stage: 'Stage', filter_min_score: 'Min score',
    filter_search: 'Search last message', all: 'All', col_grade: 'Grade', col_score: 'Score', col_stage: 'Stage', col_status: 'Status',
    col_last_activity: 'Last activity', col_last_message: 'Last message', open: 'Open', no_leads: 'No leads match',
    live: 'Live', live_off: 'Live updates interrupted', leads_count: '{n} leads', back_to_leads: '← Back to leads',
    transcript: 'Transcript', lead: 'Lead grade', evidence: 'Evidence', turn: 'turn {n}', points: 'pts',
    take_over: 'Take over', reply_as_agent: 'Reply as agent', reply_label: 'Reply', send_reply: 'Send reply',
    hand_back: 'Hand back to bot', handoff_summary: 'Handoff summary', reason: 'Reason', needs: 'Needs', slots: 'Collected',
    sentiment_avg: 'Recent sentiment', last_turns: 'Last turns', status_bot: 'Bot', status_handed_off: 'Human', status_requested: 'Waiting for a person',
    status_closed: 'Closed', intent: 'Intent', confidence: 'confidence', sentiment: 'Sentiment', dialect: 'Dialect', language: 'Language',
    entities: 'Entities', none: 'none', charts_title: 'Sales charts', chart_grade: 'Leads by grade', chart_intents: 'Intent distribution',
    chart_sentiment: 'Sentiment over time', chart_funnel: 'Funnel by stage (conversations)', chart_per_day: 'Conversations per day', count: 'Count',
    positive: 'Positive', neutral: 'Neutral', negative: 'Negative', conversations: 'Conversations', data_table: 'Show data table',
    playbook_title: 'Playbook (read-only)', kb_title: 'Product knowledge base (read-only)', products: 'Products', faqs: 'FAQ',
    competitors: 'Competitors', price: 'Price', features: 'Highlights', specs: 'Specs', delivery: 'Delivery', warranty: 'Warranty',
    stages: 'Stages', nodes: 'Nodes', interrupts: 'Interrupts', rules: 'Rules', company: 'Company', loading: 'Loading…',
    load_failed: 'Could not load: ', agent_name: 'Agent', you_took_over: 'You took over; the bot is paused.', not_found: 'Not found',
    customer: 'Customer', error_prefix: 'Error: ', handoff_alert: 'Conversation {id} asks for a human', updated: 'updated',
    grade_label: 'Grade {g}', score_label: '{s} pts', stock: 'Stock', discount: 'Discount', answer: 'Answer', weaknesses: 'Weaknesses',
    switching_offer: 'Switching offer', hours: 'Hours', tagline: 'About', contact: 'Contact', replies: 'Replies', transitions: 'Transitions',
  },
};

// Traditional Chinese (Hong Kong) for what the customer sees; other keys fall back to zh.
STRINGS['zh-HK'] = {
  lang_toggle: 'English', lang_toggle_label: '切換到英文介面', chat_title: '線上查詢', chat_subtitle: 'AI 智能助手為你解答',
  chat_subtitle_open: 'AI 智能助手為你解答 · 真人顧問在線', chat_subtitle_closed: 'AI 智能助手為你解答 · 真人顧問已下班',
  chat_subtitle_closed_until: 'AI 智能助手為你解答 · 真人顧問 {time} 上線', ui_language: '介面語言',
  chat_input_label: '輸入你的訊息', chat_placeholder: '請輸入訊息…', send: '發送', sending: '發送中…',
  send_failed: '發送失敗，連線後自動重發', you: '我', bot: 'AI 助手', agent: '真人顧問', connecting: '連線中…',
  reconnecting: '網絡中斷，正在重新連線…', connected: '已連線', offline: '已離線，訊息會在連線後發送',
  agent_joined: '真人顧問已加入對話', agent_requested: '正在為你聯絡顧問…', agent_named_joined: '{name} 已加入對話',
  handoff_waiting: '正在為你聯絡顧問…（AI 助手會繼續為你解答）',
  handoff_nobody: '顧問暫時都好忙，仲未可以接手。留低電話，我哋安排顧問覆電。',
  handoff_closed: '而家係非辦公時間，真人顧問唔喺線。留低電話，我哋返工後覆電。',
  callback_done: '已登記覆電，顧問會喺你方便嘅時間聯絡你。', callback_title: '請顧問覆電畀我',
  callback_name: '你嘅稱呼（選填）', callback_phone: '電話號碼', callback_time: '方便接聽嘅時間',
  callback_submit: '提交覆電要求', callback_thanks: '收到你嘅覆電要求，顧問會打 {phone} 聯絡你。',
  callback_bad_phone: '請填寫有效嘅電話號碼（6–20 位數字）', time_asap: '盡快', time_morning: '上午（9–12 點）',
  time_afternoon: '下午（12–18 點）', time_evening: '晚上（18–21 點）', quick_replies: '你可能想問',
  unread: '{n} 條新訊息', price: '價錢', ai_badge: 'AI',
  bot_back: '真人顧問已結束對話，AI 助手繼續為你服務', no_key: '缺少掛件密鑰（data-key）。', new_chat: '新對話',
  typing: 'AI 助手正在輸入…', open_chat: '打開線上查詢', close_chat: '關閉線上查詢', chat_error: '出錯：',
};

const INTENT_NAMES = {
  greeting: ['问候', 'Greeting'], ask_price: ['问价格', 'Asks price'], ask_discount: ['问优惠', 'Asks discount'],
  ask_feature: ['问功能', 'Asks features'], purchase_intent: ['购买意向', 'Wants to buy'], hesitate: ['犹豫', 'Hesitates'],
  not_interested: ['不感兴趣', 'Not interested'], busy_later: ['稍后再聊', 'Busy, later'], compare_competitor: ['竞品对比', 'Compares competitor'],
  ask_delivery: ['问配送', 'Asks delivery'], ask_after_sales: ['问售后', 'Asks after-sales'], ask_trial: ['问试用', 'Asks trial'],
  provide_contact: ['留联系方式', 'Gives contact'], request_human: ['要求人工', 'Asks for human'], complaint: ['投诉', 'Complaint'],
  affirm: ['肯定', 'Affirms'], deny: ['否定', 'Denies'], goodbye: ['告别', 'Goodbye'], ask_payment: ['问付款', 'Asks payment'],
  out_of_scope: ['无关话题', 'Out of scope'],
};

const ENTITY_NAMES = {
  money: ['金额', 'money'], quantity: ['数量', 'quantity'], phone: ['电话', 'phone'], email: ['邮箱', 'e-mail'],
  wechat: ['微信', 'WeChat'], datetime: ['时间', 'date/time'], product: ['产品', 'product'], competitor: ['竞品', 'competitor'],
};

const DIALECT_NAMES = { cmn: ['普通话', 'Mandarin'], yue: ['粤语', 'Cantonese'] };
const LANGUAGE_NAMES = { zh: ['中文', 'Chinese'], en: ['英文', 'English'], mixed: ['中英混合', 'Mixed'] };

export const LANGS = ['zh', 'zh-HK', 'en'];

/** A browser language tag → zh, zh-HK or en. */
export function langOf(tag) {
  const t = String(tag || '').toLowerCase();
  if (/^zh-(hk|mo|tw|hant)/.test(t)) return 'zh-HK';
  return t.startsWith('zh') ? 'zh' : 'en';
}

function detect() {
  try {
    const saved = localStorage.getItem('tuoke.lang');
    if (LANGS.includes(saved)) return saved;
  } catch { /* storage may be blocked */ }
  return langOf((navigator.languages && navigator.languages[0]) || navigator.language || 'zh');
}

const HTML_LANG = { zh: 'zh-CN', 'zh-HK': 'zh-HK', en: 'en' };

let lang = detect();
const listeners = new Set();

export function getLang() { return lang; }

export function setLang(l, { remember = true } = {}) {
  lang = LANGS.includes(l) ? l : 'zh';
  if (remember) { try { localStorage.setItem('tuoke.lang', lang); } catch { /* ignore */ } }
  document.documentElement.lang = HTML_LANG[lang];
  listeners.forEach((f) => f(lang));
}

/** The field of a `{zh, en, yue}` text for the UI language. */
export const varietyField = (l = lang) => (l === 'zh-HK' ? 'yue' : l === 'en' ? 'en' : 'zh');

export function onLangChange(f) { listeners.add(f); }

/** Adds strings per language (`{zh: {...}, 'zh-HK': {...}, en: {...}}`) for one part of the UI. */
export function addStrings(table) {
  for (const [l, kv] of Object.entries(table)) STRINGS[l] = { ...(STRINGS[l] || {}), ...kv };
}

/** Translate `key`, filling `{name}` placeholders from `vars`. */
export function t(key, vars) {
  let s = STRINGS[lang][key] ?? (lang === 'zh-HK' ? STRINGS.zh[key] : undefined) ?? STRINGS.en[key] ?? key;
  if (vars) for (const [k, v] of Object.entries(vars)) s = s.replaceAll(`{${k}}`, String(v));
  return s;
}

const pick = (table, k) => (table[k] ? table[k][lang === 'en' ? 1 : 0] : k);
export const intentName = (k) => pick(INTENT_NAMES, k);
export const entityName = (k) => pick(ENTITY_NAMES, k);
export const dialectName = (k) => pick(DIALECT_NAMES, k);
export const languageName = (k) => pick(LANGUAGE_NAMES, k);
export const sentimentName = (k) => t(k);

/** A `{zh, en, yue?}` text from the company files in the UI language (falls back to any). */
export function loc(v) {
  if (v == null) return '';
  if (typeof v !== 'object') return String(v);
  return v[varietyField()] ?? v.zh ?? v.en ?? Object.values(v)[0] ?? '';
}

/** Apply translations to every element with data-i18n / data-i18n-placeholder / data-i18n-label. */
export function applyI18n(root = document) {
  root.querySelectorAll('[data-i18n]').forEach((el) => { el.textContent = t(el.dataset.i18n); });
  root.querySelectorAll('[data-i18n-placeholder]').forEach((el) => { el.placeholder = t(el.dataset.i18nPlaceholder); });
  root.querySelectorAll('[data-i18n-label]').forEach((el) => { el.setAttribute('aria-label', t(el.dataset.i18nLabel)); });
  root.querySelectorAll('[data-i18n-title]').forEach((el) => { el.title = t(el.dataset.i18nTitle); });
  document.documentElement.lang = HTML_LANG[lang];
}

export function formatTime(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return d.toLocaleString(lang === 'en' ? 'en-GB' : HTML_LANG[lang], { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

/** Local clock time of an ISO date, and the weekday when it is not today ("明天 09:00" style is left to the caller). */
export function formatClock(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const sameDay = d.toDateString() === new Date().toDateString();
  const opts = sameDay ? { hour: '2-digit', minute: '2-digit' } : { weekday: 'short', hour: '2-digit', minute: '2-digit' };
  return d.toLocaleString(lang === 'en' ? 'en-GB' : HTML_LANG[lang], opts);
}
