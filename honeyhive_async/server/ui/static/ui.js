// The web view's one script: it only enhances server-rendered pages (all of them work without it).
// Waterfall: a click on a row fetches that event's panel and shows it without a reload;
// arrow keys move between rows, Enter opens one.
"use strict";
(function () {
  var waterfall = document.getElementById("waterfall");
  if (!waterfall) {
    return;
  }
  var sessionId = waterfall.getAttribute("data-session-id");

  function rowOf(node) {
    while (node && node !== waterfall) {
      if (node.classList && node.classList.contains("event-row")) {
        return node;
      }
      node = node.parentNode;
    }
    return null;
  }

  function select(row, link) {
    var eventId = row.getAttribute("data-event-id");
    var url = "/ui/sessions/" + encodeURIComponent(sessionId) + "/events/" + encodeURIComponent(eventId);
    fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("panel " + response.status);
        }
        return response.text();
      })
      .then(function (html) {
        var panel = document.getElementById("event-panel");
        var holder = document.createElement("div");
        holder.innerHTML = html;
        var fresh = holder.querySelector("#event-panel");
        if (!panel || !fresh) {
          throw new Error("no panel");
        }
        panel.replaceWith(fresh);
        var old = waterfall.querySelectorAll(".event-row.selected");
        for (var i = 0; i < old.length; i++) {
          old[i].classList.remove("selected");
        }
        row.classList.add("selected");
        history.replaceState(null, "", link.getAttribute("href"));
      })
      .catch(function () {
        window.location.href = link.getAttribute("href");
      });
  }

  waterfall.addEventListener("click", function (event) {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) {
      return;
    }
    var row = rowOf(event.target);
    if (!row) {
      return;
    }
    var link = row.querySelector("a.event-link");
    if (!link) {
      return;
    }
    event.preventDefault();
    select(row, link);
  });

  waterfall.addEventListener("keydown", function (event) {
    if (event.key !== "ArrowDown" && event.key !== "ArrowUp") {
      return;
    }
    var row = rowOf(event.target);
    if (!row) {
      return;
    }
    var next = event.key === "ArrowDown" ? row.nextElementSibling : row.previousElementSibling;
    var link = next && next.querySelector("a.event-link");
    if (link) {
      event.preventDefault();
      link.focus();
    }
  });
})();
