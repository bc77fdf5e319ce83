// A dispute decision says both amounts before money moves: what goes to the provider and what goes back to
// the brand, in whole minor units (never a float sum). <form data-confirm-decision="… %(provider)s … %(brand)s …"
// data-total="minor units" data-currency="CNY" data-locale="zh-CN"> with a provider_amount field.
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.dataset.confirmDecision) return;
  var format = new Intl.NumberFormat(form.dataset.locale, {style: "currency", currency: form.dataset.currency});
  var unit = Math.pow(10, format.resolvedOptions().maximumFractionDigits);
  var toProvider = Math.round(parseFloat(form.elements.provider_amount.value) * unit);
  var total = parseInt(form.dataset.total, 10);
  // not a number, negative or above the escrow: no question with a negative refund; the server refuses
  // the amount and says why
  if (isNaN(toProvider) || toProvider < 0 || toProvider > total) return;
  var question = form.dataset.confirmDecision.replace("%(provider)s", format.format(toProvider / unit))
                                             .replace("%(brand)s", format.format((total - toProvider) / unit));
  if (!window.confirm(question)) event.preventDefault();
});
