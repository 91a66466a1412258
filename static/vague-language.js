// While someone types information or minutes, point out stock phrases that hide risk ("poor home
// conditions", "appeared fine"). A hint only: it never stops the form being saved. The server flags the
// same phrases again after saving, so nothing depends on this script.
const fields = document.querySelectorAll('textarea[data-vague-phrases]')
const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

fields.forEach((field) => {
  const phrases = field.dataset.vaguePhrases.split('|').filter(Boolean)
  const patterns = phrases.map((p) => new RegExp('(^|[^\\w])(' + p.split(/\s+/).map(escape).join('\\s+') + ')(?![\\w])', 'i'))
  // The live region is on the page, empty, before anything is said in it: screen readers announce what is
  // added to a region they already know, and may miss a region that appears with its words already in it.
  const region = document.createElement('div')
  region.setAttribute('aria-live', 'polite')
  const hint = document.createElement('div')
  hint.className = 'app-vague-hint'
  hint.hidden = true
  region.appendChild(hint)
  field.insertAdjacentElement('afterend', region)
  const check = () => {
    const found = []
    patterns.forEach((re) => {
      const m = field.value.match(re)
      if (m && !found.includes(m[2])) found.push(m[2])
    })
    hint.hidden = found.length === 0
    hint.textContent = found.length
      ? 'Check the wording: ' + found.map((f) => '“' + f + '”').join(', ') + '. Describe what was actually seen, heard or said, by whom and when.'
      : ''
  }
  field.addEventListener('input', check)
  check()
})
