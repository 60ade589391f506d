// The risk map: sites as circles coloured by their worst open hazard, ringed when something is overdue.
(function () {
  var el = document.getElementById("map");
  if (!el) return;
  var COLOURS = { red: "#d32f2f", yellow: "#f9a825", blue: "#1e63c4" };
  var map = L.map(el, { preferCanvas: false, zoomSnap: 0.25 });
  L.control.scale({ imperial: false }).addTo(map);
  var tiles = el.dataset.tiles;
  if (tiles) {
    var parts = tiles.split("|");
    L.tileLayer(parts[0], { attribution: parts[1] || "", maxZoom: 19 }).addTo(map);
  } else {
    el.classList.add("plain");
  }
  fetch(el.dataset.src, { credentials: "same-origin" })
    .then(function (r) { return r.json(); })
    .then(function (data) {
      var layer = L.geoJSON(data, {
        pointToLayer: function (feature, latlng) {
          var p = feature.properties;
          var colour = COLOURS[p.worst_severity] || "#9e9e9e";
          var marker = L.circleMarker(latlng, {
            radius: 7 + Math.min(10, Math.sqrt(p.open_count) * 2.5),
            fillColor: colour, fillOpacity: 0.9,
            color: p.overdue_count ? "#111" : "#fff", weight: p.overdue_count ? 4 : 1.5,
            className: "site-point site-" + p.site_id + " sev-" + (p.worst_severity || "none") + (p.overdue_count ? " overdue" : ""),
          });
          marker.bindTooltip(p.name + " · " + el.dataset.openLabel + " " + p.open_count);
          marker.on("click", function () { window.location = "/sites/" + p.site_id; });
          return marker;
        },
      }).addTo(map);
      el.dataset.points = String(data.features.length);
      if (data.features.length) map.fitBounds(layer.getBounds(), { padding: [30, 30], maxZoom: 15 });
      else map.setView([41.75, 123.45], 11);
      el.dataset.ready = "1";
    });
})();
