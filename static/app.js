import { initAll } from './govuk/govuk-frontend.min.js'
initAll()

// The session ends after a while without a request, and after a set number of hours in all. Two minutes before,
// say so in a dialog and let the person stay signed in with one button or Esc (WCAG 2.2.1 Timing Adjustable);
// at the end, sign out properly so that a shared or unattended computer is not left showing a child's record.
// Every tab notes in localStorage when the session now ends, so one left open never signs out a person who is
// working in another.
const WARN_BEFORE = 2 * 60 * 1000
const ENDS_AT = 'session-ends-at'
const dialog = document.getElementById('timeout-warning')
if (dialog) {
  let endsAt, warning, ending, returnTo
  const noted = () => { try { return Number(localStorage.getItem(ENDS_AT)) || 0 } catch { return 0 } }
  const note = (at) => {
    endsAt = at
    try { if (at > noted()) localStorage.setItem(ENDS_AT, String(at)) } catch { /* private browsing: this tab only */ }
  }
  const signOut = () => document.getElementById('sign-out-form').submit()
  const movedOn = () => {
    if (noted() <= endsAt) return false
    endsAt = noted() // another tab kept the session going
    if (dialog.open) dialog.close()
    schedule()
    return true
  }
  const schedule = () => {
    clearTimeout(warning)
    clearTimeout(ending)
    const left = endsAt - Date.now()
    warning = setTimeout(() => {
      if (movedOn()) return
      returnTo = document.activeElement
      dialog.showModal()
    }, Math.max(left - WARN_BEFORE, 0))
    ending = setTimeout(() => movedOn() || signOut(), Math.max(left, 0))
  }
  const stay = async () => {
    const response = await fetch(dialog.dataset.staySignedIn, {
      method: 'POST', headers: { 'X-CSRFToken': dialog.dataset.csrf }, redirect: 'manual'
    })
    if (!response.ok) return signOut() // it had already ended
    const { seconds_left: secondsLeft } = await response.json()
    dialog.close()
    note(Date.now() + secondsLeft * 1000)
    schedule()
  }
  note(Date.now() + Number(dialog.dataset.secondsLeft) * 1000)
  schedule()
  window.addEventListener('storage', (event) => { if (event.key === ENDS_AT) movedOn() })
  document.getElementById('stay-signed-in')?.addEventListener('click', stay)
  document.getElementById('timeout-close')?.addEventListener('click', () => dialog.close())
  dialog.addEventListener('cancel', (event) => {
    if (dialog.dataset.extendable === 'yes') {
      event.preventDefault()
      stay()
    }
  })
  dialog.addEventListener('close', () => returnTo?.focus())
}
