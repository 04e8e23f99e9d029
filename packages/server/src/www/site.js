// Progressive enhancement for /www pages: the page works without it. Copy buttons copy the text
// of the element their data-copy attribute names, and say so in a live region.
document.addEventListener('DOMContentLoaded', () => {
  for (const button of document.querySelectorAll('button[data-copy]')) {
    button.hidden = false;
    button.addEventListener('click', async () => {
      const source = document.getElementById(button.dataset.copy);
      const status = document.getElementById('copy-status');
      try {
        await navigator.clipboard.writeText(source.textContent.trim());
        if (status) status.textContent = `Copied: ${source.textContent.trim()}`;
      } catch {
        if (status) status.textContent = 'Copying failed: select the command and copy it.';
      }
    });
  }
});
