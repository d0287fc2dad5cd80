/* global document, fetch */
// The signup page's behaviour. Plain browser JavaScript, no build step; loaded as an
// external deferred file because the CSP (script-src 'self') forbids inline scripts.
'use strict';

const FIELDS = ['email', 'password', 'passwordConfirm', 'schoolName'];

// The same checks the server makes (zod schema in src/signup/signupRequest.ts, Auth0's
// "good" password policy), so most mistakes are caught without a round trip. The server
// stays the authority: whatever it says is shown next to the same fields.
const EMAIL =
  /^(?!\.)(?!.*\.\.)([A-Za-z0-9_'+\-.]*)[A-Za-z0-9_+-]@([A-Za-z0-9][A-Za-z0-9-]*\.)+[A-Za-z]{2,}$/;
const PASSWORD_CLASSES = {
  lower: /[a-z]/,
  upper: /[A-Z]/,
  digit: /\d/,
  special: /[ !"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]/,
};

// A 409 names no field in its code, so these say where its message belongs.
const CONFLICT_FIELD = {
  school_taken: 'schoolName',
  email_taken: 'email',
  database_name_unavailable: 'schoolName',
};

const $ = (id) => document.getElementById(id);

function passwordClasses(password) {
  return Object.keys(PASSWORD_CLASSES).filter((name) => PASSWORD_CLASSES[name].test(password));
}

function validate(v) {
  const errors = {};
  const email = v.email.trim();
  const school = v.schoolName.trim().replace(/\s+/g, ' ');
  if (!email) errors.email = 'Email is required.';
  else if (email.length > 254 || !EMAIL.test(email)) errors.email = 'Enter a valid email address.';

  if (!v.password) errors.password = 'Password is required.';
  else if (v.password.length > 128) errors.password = 'Password must be at most 128 characters.';
  else if (v.password.length < 8 || passwordClasses(v.password).length < 3)
    errors.password =
      'Use at least 8 characters with 3 of: lower case, upper case, digits, symbols.';

  if (!v.passwordConfirm) errors.passwordConfirm = 'Confirm your password.';
  else if (v.passwordConfirm !== v.password) errors.passwordConfirm = 'Passwords do not match.';

  if (!school) errors.schoolName = 'School name is required.';
  else if (school.length < 2) errors.schoolName = 'School name must be at least 2 characters.';
  else if (school.length > 200) errors.schoolName = 'School name must be at most 200 characters.';
  else if (!/[\p{L}\p{N}]/u.test(school))
    errors.schoolName = 'School name must contain letters or digits.';
  return errors;
}

function showFieldError(field, message) {
  const input = $(field);
  const error = $(`${field}-error`);
  error.textContent = message;
  error.hidden = false;
  input.setAttribute('aria-invalid', 'true');
}

function clearFieldError(field) {
  $(`${field}-error`).hidden = true;
  $(`${field}-error`).textContent = '';
  $(field).removeAttribute('aria-invalid');
}

function showFormError(message) {
  $('form-error').textContent = message;
  $('form-error').hidden = !message;
}

/** Shows field errors; focuses the first one so keyboard and screen-reader users land there. */
function showErrors(errors) {
  const fields = FIELDS.filter((f) => errors[f]);
  for (const field of fields) showFieldError(field, errors[field]);
  if (fields.length > 0) $(fields[0]).focus();
  return fields.length > 0;
}

function waitText(retryAfter) {
  const seconds = Number(retryAfter);
  if (!Number.isFinite(seconds) || seconds <= 0) return 'a moment';
  if (seconds <= 1) return '1 second';
  if (seconds <= 90) return `${Math.ceil(seconds)} seconds`;
  return `${Math.ceil(seconds / 60)} minutes`;
}

/** Turns any non-201 answer into messages next to fields, or one message above the form. */
function showServerError(status, body, retryAfter) {
  const error = (body && body.error) || {};
  const details = error.details || {};
  const fieldErrors = {};
  const other = [];
  for (const [field, messages] of Object.entries(details)) {
    if (FIELDS.includes(field)) fieldErrors[field] = messages.join(' ');
    else other.push(...messages);
  }
  const conflictField = CONFLICT_FIELD[error.code];
  if (conflictField && !fieldErrors[conflictField]) fieldErrors[conflictField] = error.message;
  if (showErrors(fieldErrors) && other.length === 0) return;

  if (status === 429)
    other.push(`Too many signup attempts. Please wait ${waitText(retryAfter)} and try again.`);
  else if (status === 503)
    other.push(
      `Signup is temporarily unavailable. Please try again in ${waitText(retryAfter)}. Nothing was created.`,
    );
  else if (other.length === 0)
    other.push(error.message || `Something went wrong (HTTP ${status}). Please try again.`);
  showFormError(other.join(' '));
  $('form-error').focus();
}

function showResult(result) {
  $('result-school').textContent = result.school.name;
  $('result-db').textContent = result.school.dbName;
  $('result-email').textContent = result.email;
  $('signup-form').hidden = true;
  $('result').hidden = false;
  $('result').focus();
}

function setBusy(busy) {
  const button = $('submit');
  button.disabled = busy;
  button.setAttribute('aria-busy', String(busy));
  button.textContent = busy ? 'Creating your school…' : 'Create school';
  $('form-status').textContent = busy ? 'Creating your school. This takes a few seconds.' : '';
}

let sending = false;

async function submit(event) {
  event.preventDefault();
  if (sending) return;
  const values = Object.fromEntries(FIELDS.map((f) => [f, $(f).value]));
  FIELDS.forEach(clearFieldError);
  showFormError('');
  if (showErrors(validate(values))) return;

  sending = true;
  setBusy(true);
  try {
    const res = await fetch('/users', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(values),
    });
    // A proxy in front of us may answer with HTML; that is an error without details.
    const body = await res.json().catch(() => undefined);
    if (res.status === 201 && body) showResult(body);
    else showServerError(res.status, body, res.headers.get('retry-after'));
  } catch {
    showFormError('Could not reach the server. Check your connection and try again.');
    $('form-error').focus();
  } finally {
    sending = false;
    setBusy(false);
  }
}

function updatePasswordRules() {
  const met = passwordClasses($('password').value);
  for (const item of document.querySelectorAll('[data-rule]'))
    item.classList.toggle('met', met.includes(item.dataset.rule));
}

function init() {
  $('form-error').tabIndex = -1;
  $('signup-form').addEventListener('submit', submit);
  $('password').addEventListener('input', updatePasswordRules);
  $('show-passwords').addEventListener('change', (event) => {
    const type = event.target.checked ? 'text' : 'password';
    $('password').type = type;
    $('passwordConfirm').type = type;
  });
  for (const field of FIELDS) {
    // A message about the old value is wrong once the value changes.
    $(field).addEventListener('input', () => clearFieldError(field));
    // Check a field when leaving it, but do not nag about fields not filled in yet.
    $(field).addEventListener('blur', () => {
      const message = validate(Object.fromEntries(FIELDS.map((f) => [f, $(f).value])))[field];
      if (message && $(field).value) showFieldError(field, message);
    });
  }
}

init();
