// Draws a report's chart from the data the page carries (#report-chart-data), with Chart.js.
document.addEventListener("DOMContentLoaded", () => {
  const canvas = document.getElementById("report-chart");
  const source = document.getElementById("report-chart-data");
  if (!canvas || !source || typeof Chart === "undefined") return;
  const data = JSON.parse(source.textContent);
  const colours = ["#0d6efd", "#198754", "#fd7e14", "#6f42c1", "#dc3545", "#20c997", "#6c757d"];
  data.datasets.forEach((dataset, index) => {
    const colour = colours[index % colours.length];
    dataset.backgroundColor = colour;
    dataset.borderColor = colour;
  });
  const chart = new Chart(canvas, {
    type: data.type,
    data: { labels: data.labels, datasets: data.datasets },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      scales: { x: { ticks: { autoSkip: true, maxRotation: 60 } }, y: { beginAtZero: true } },
    },
  });
  canvas.dataset.ready = "true";
  window.reportChart = chart;
});
