// Pieces of the customer chat beyond plain bubbles: product cards, avatars, quick-reply buttons
// and the call-back form. Pure DOM builders; chat.js owns the state and the API calls.
import { h } from './api.js';
import { t } from './i18n.js';

/** The avatar of a message: "AI" for the bot, the agent's initial for a person. */
export function avatar(role, agentName) {
  if (role === 'customer') return null;
  if (role === 'agent') {
    const initial = (agentName || t('agent')).trim().charAt(0).toUpperCase() || '?';
    return h('span', { class: 'avatar agent', 'aria-hidden': 'true' }, initial);
  }
  return h('span', { class: 'avatar bot', 'aria-hidden': 'true' }, t('ai_badge'));
}

/**
 * Product cards of a bot message (built by the server from the company KB). `field` picks the
 * variety's text (zh, yue, en); `onAction(text)` sends the card's call to action.
 */
export function renderCards(cards, field, onAction) {
  if (!Array.isArray(cards) || !cards.length) return null;
  const pick = (v) => (v ? v[field] ?? v.zh ?? v.en ?? '' : '');
  return h('ul', { class: 'cards' }, cards.map((c) => h('li', { class: 'card', dataset: { product: c.product_id } },
    h('p', { class: 'card-cat' }, pick(c.category)),
    h('h2', { class: 'card-name' }, pick(c.name)),
    h('p', { class: 'card-price' }, h('span', { class: 'visually-hidden' }, `${t('price')}: `), c.price),
    h('ul', { class: 'card-facts' }, (c.facts || []).map((f) => h('li', null, pick(f)))),
    h('button', { type: 'button', class: 'card-cta', onclick: () => onAction(pick(c.cta && c.cta.message)) }, pick(c.cta && c.cta.label)),
  )));
}

/** Quick-reply buttons into `box` (hidden when there are none). */
export function renderQuickReplies(box, replies, onPick) {
  const list = Array.isArray(replies) ? replies.filter(Boolean) : [];
  box.replaceChildren(...list.map((q) => h('button', { type: 'button', class: 'quick', onclick: () => onPick(q) }, q)));
  box.hidden = list.length === 0;
}

/** The call-back form (name, phone, preferred time); `onSubmit({name, phone, preferred_time})`. */
export function callbackForm(onSubmit) {
  const err = h('p', { class: 'cb-error', id: 'cb-error', role: 'alert', hidden: true });
  const phone = h('input', { id: 'cb-phone', name: 'phone', type: 'tel', inputmode: 'tel', autocomplete: 'tel', required: true, maxlength: '30', 'aria-describedby': 'cb-error' });
  const name = h('input', { id: 'cb-name', name: 'name', type: 'text', autocomplete: 'name', maxlength: '100' });
  const time = h('select', { id: 'cb-time', name: 'preferred_time' },
    ['asap', 'morning', 'afternoon', 'evening'].map((k) => h('option', { value: k }, t(`time_${k}`))));
  const submit = h('button', { type: 'submit', id: 'cb-submit' }, t('callback_submit'));
  const form = h('form', { id: 'callback-form', class: 'callback', 'aria-labelledby': 'cb-title', novalidate: true },
    h('h2', { id: 'cb-title' }, t('callback_title')),
    h('label', { for: 'cb-name' }, t('callback_name')), name,
    h('label', { for: 'cb-phone' }, t('callback_phone')), phone,
    h('label', { for: 'cb-time' }, t('callback_time')), time,
    submit, err);
  phone.addEventListener('input', () => { err.hidden = true; phone.removeAttribute('aria-invalid'); });
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const digits = phone.value.replace(/\D/g, '').length;
    if (digits < 6 || digits > 20 || /[^\d\s+().-]/.test(phone.value)) {
      err.textContent = t('callback_bad_phone');
      err.hidden = false;
      phone.setAttribute('aria-invalid', 'true');
      phone.focus();
      return;
    }
    err.hidden = true;
    phone.removeAttribute('aria-invalid');
    submit.disabled = true;
    try {
      await onSubmit({ name: name.value.trim() || null, phone: phone.value.trim(), preferred_time: time.options[time.selectedIndex].text });
    } catch (e) {
      err.textContent = e.message;
      err.hidden = false;
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}
