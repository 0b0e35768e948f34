// The browsable API's HTML forms are written as multipart/form-data, which the API refuses
// (415): post them url-encoded instead. DRF's ajax-form.js reads the form's enctype when it
// sends a PUT or DELETE, so it follows this too.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll('form[enctype="multipart/form-data"]').forEach(function (form) {
    form.enctype = "application/x-www-form-urlencoded";
  });
});
