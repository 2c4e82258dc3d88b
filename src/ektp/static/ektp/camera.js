/* Camera capture for the recording form (CSP-safe: a static file, no inline code).
 * For each .camera[data-camera-for] block: "Gunakan kamera" opens the camera with
 * getUserMedia, "Ambil foto" draws the frame on a canvas and puts it as a JPEG file into the
 * form's file input, then fires "change" so the photo is checked like an uploaded one. */
(function () {
  "use strict";

  function setUp(block) {
    var input = document.getElementById(block.getAttribute("data-camera-for"));
    var start = block.querySelector(".camera-start");
    var video = block.querySelector(".camera-view");
    var canvas = block.querySelector(".camera-shot");
    var take = block.querySelector(".camera-take");
    var failed = block.querySelector(".camera-error");
    var stream = null;
    if (!input || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia ||
        typeof DataTransfer === "undefined") {
      return; /* no camera API: the file upload stays the way in */
    }
    start.hidden = false;

    start.addEventListener("click", function () {
      navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 }, audio: false })
        .then(function (media) {
          stream = media;
          video.srcObject = media;
          video.hidden = false;
          take.hidden = false;
          failed.hidden = true;
        })
        .catch(function () { failed.hidden = false; });
    });

    take.addEventListener("click", function () {
      if (!stream) { return; }
      canvas.width = video.videoWidth || 640;
      canvas.height = video.videoHeight || 480;
      canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
      canvas.toBlob(function (blob) {
        var files = new DataTransfer();
        files.items.add(new File([blob], "kamera.jpg", { type: "image/jpeg" }));
        input.files = files.files;
        input.dispatchEvent(new Event("change", { bubbles: true }));
        stream.getTracks().forEach(function (track) { track.stop(); });
        stream = null;
        video.hidden = true;
        take.hidden = true;
        canvas.hidden = false;
      }, "image/jpeg", 0.92);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".camera[data-camera-for]").forEach(setUp);
  });
}());
