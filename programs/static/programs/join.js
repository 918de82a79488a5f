// The join page's time zone, filled in from the browser's own when the field is empty.
// A file of our own (the CSP allows only 'self' scripts); the form works the same without it.
(function () {
  "use strict";
  var field = document.getElementById("id_timezone");
  if (!field || field.value) {
    return;
  }
  try {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (zone) {
      field.value = zone;
    }
  } catch (error) {
    // An old browser without Intl: the field stays empty and the site's zone applies.
  }
})();
