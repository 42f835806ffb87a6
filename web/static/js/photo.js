// Photo page: findings overlay on/off (the server renders both images).
(function () {
  "use strict";
  var toggle = document.getElementById("overlay-toggle");
  var img = document.getElementById("photo-view");
  if (!toggle || !img) return;
  toggle.addEventListener("change", function () { img.src = toggle.checked ? img.dataset.on : img.dataset.off; });
})();
