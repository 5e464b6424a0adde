// htmx swaps in only a 2xx answer. An element marked data-swap-errors (the assessment form's clip upload)
// also shows a refusal (413 too large, 422 not a video) where its answer goes: the answer says why.
// A file of its own, not inline: the Content-Security-Policy allows scripts from this site only.
document.addEventListener("htmx:beforeSwap", function (event) {
  var status = event.detail.xhr.status;
  if ((status === 413 || status === 422) && event.detail.elt.hasAttribute("data-swap-errors")) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});
