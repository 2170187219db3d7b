// Small behaviours for every page. No inline scripts: the CSP forbids them.
document.addEventListener("DOMContentLoaded", () => {
  // Forms that ask before a consequential action: <form data-confirm="message">.
  document.querySelectorAll("form[data-confirm]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) {
        event.preventDefault();
      }
    });
  });
  // Show or hide the end-date field when the role is (not) a temporary member.
  document.querySelectorAll("select[data-temporary-toggle]").forEach((select) => {
    const target = document.getElementById(select.dataset.temporaryToggle);
    if (!target) return;
    const update = () => target.classList.toggle("d-none", select.value !== "temp_member");
    select.addEventListener("change", update);
    update();
  });
});
