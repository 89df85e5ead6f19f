// UI strings in Chinese and English. The language defaults to navigator.language and is kept in
// localStorage ("tuoke.lang") once the user toggles it.
const STRINGS = {
  zh: {
    lang_toggle: 'English', lang_toggle_label: '切换到英文界面', skip: '跳到主要内容',
    chat_title: '在线咨询', chat_subtitle: '销售顾问在线为您服务', chat_input_label: '输入您的消息',
    chat_placeholder: '请输入消息…', send: '发送', sending: '发送中…', send_failed: '发送失败，联网后自动重发',
    you: '我', bot: '智能顾问', agent: '人工客服', connecting: '正在连接…', reconnecting: '网络中断，正在重新连接…',
    connected: '已连接', offline: '已离线，消息会在联网后发送', agent_joined: '人工客服已接入对话', agent_requested: '已通知人工顾问，稍后会与您联系；在此期间我继续为您解答',
    bot_back: '人工客服已结束接待，智能顾问继续为您服务', no_key: '缺少挂件密钥（data-key）。', new_chat: '新对话',
    typing: '对方正在输入…', open_chat: '打开在线咨询', close_chat: '关闭在线咨询', chat_error: '出错了：',
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
    chat_title: 'Chat with us', chat_subtitle: 'A sales adviser is online', chat_input_label: 'Type your message',
    chat_placeholder: 'Type a message…', send: 'Send', sending: 'Sending…', send_failed: 'Not sent yet; will retry when online',
    you: 'You', bot: 'Sales assistant', agent: 'Agent', connecting: 'Connecting…', reconnecting: 'Connection lost, reconnecting…',
    connected: 'Connected', offline: 'Offline: messages will be sent when you are back online', agent_joined: 'A human agent has joined', agent_requested: 'A colleague has been notified and will get back to you; meanwhile I keep answering',
    bot_back: 'The agent has left; the assistant continues', no_key: 'Missing widget key (data-key).', new_chat: 'New chat',
    typing: 'Typing…', open_chat: 'Open chat', close_chat: 'Close chat', chat_error: 'Error: ',
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

function detect() {
  try {
    const saved = localStorage.getItem('tuoke.lang');
    if (saved === 'zh' || saved === 'en') return saved;
  } catch { /* storage may be blocked */ }
  const nav = (navigator.languages && navigator.languages[0]) || navigator.language || 'zh';
  return nav.toLowerCase().startsWith('zh') ? 'zh' : 'en';
}

let lang = detect();
const listeners = new Set();

export function getLang() { return lang; }

export function setLang(l) {
  lang = l === 'en' ? 'en' : 'zh';
  try { localStorage.setItem('tuoke.lang', lang); } catch { /* ignore */ }
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  listeners.forEach((f) => f(lang));
}

export function onLangChange(f) { listeners.add(f); }

/** Translate `key`, filling `{name}` placeholders from `vars`. */
export function t(key, vars) {
  let s = (STRINGS[lang] && STRINGS[lang][key]) ?? STRINGS.en[key] ?? key;
  if (vars) for (const [k, v] of Object.entries(vars)) s = s.replaceAll(`{${k}}`, String(v));
  return s;
}

const pick = (table, k) => (table[k] ? table[k][lang === 'zh' ? 0 : 1] : k);
export const intentName = (k) => pick(INTENT_NAMES, k);
export const entityName = (k) => pick(ENTITY_NAMES, k);
export const dialectName = (k) => pick(DIALECT_NAMES, k);
export const languageName = (k) => pick(LANGUAGE_NAMES, k);
export const sentimentName = (k) => t(k);

/** A `{zh, en, yue?}` text from the company files in the UI language (falls back to any). */
export function loc(v) {
  if (v == null) return '';
  if (typeof v !== 'object') return String(v);
  return v[lang] ?? v.zh ?? v.en ?? Object.values(v)[0] ?? '';
}

/** Apply translations to every element with data-i18n / data-i18n-placeholder / data-i18n-label. */
export function applyI18n(root = document) {
  root.querySelectorAll('[data-i18n]').forEach((el) => { el.textContent = t(el.dataset.i18n); });
  root.querySelectorAll('[data-i18n-placeholder]').forEach((el) => { el.placeholder = t(el.dataset.i18nPlaceholder); });
  root.querySelectorAll('[data-i18n-label]').forEach((el) => { el.setAttribute('aria-label', t(el.dataset.i18nLabel)); });
  root.querySelectorAll('[data-i18n-title]').forEach((el) => { el.title = t(el.dataset.i18nTitle); });
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
}

export function formatTime(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return d.toLocaleString(lang === 'zh' ? 'zh-CN' : 'en-GB', { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}
