// htmx swaps in only a 2xx answer. A target marked data-swap-errors (where the assessment form's clip upload
// answers) also shows a refusal there (413 too large, 422 not a video): the answer says why.
// A file of its own, not inline: the Content-Security-Policy allows scripts from this site only.
document.addEventListener("htmx:beforeSwap", function (event) {
  var status = event.detail.xhr.status;
  if ((status === 413 || status === 422) && event.detail.target.hasAttribute("data-swap-errors")) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});
