// The card payment of a milestone with Stripe.js (loaded before this file from STRIPE_JS_URL):
// <form id="payment-form" data-key="publishable key" data-client-secret="…" data-done-url="where to go once paid">.
(function () {
  var form = document.getElementById("payment-form");
  var stripe = Stripe(form.dataset.key);
  var card = stripe.elements().create("card");
  card.mount("#card-element");
  var button = document.getElementById("pay"), errors = document.getElementById("card-errors");
  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    button.disabled = true;
    var result = await stripe.confirmCardPayment(form.dataset.clientSecret, {payment_method: {card: card}});
    if (result.error) {
      errors.textContent = result.error.message;
      button.disabled = false;
    } else {
      window.location = form.dataset.doneUrl;
    }
  });
})();
