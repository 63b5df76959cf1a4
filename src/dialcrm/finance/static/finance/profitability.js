// Charts of the profitability screen, drawn from the figures the page carries.
(function () {
  "use strict";
  const source = document.getElementById("profitability-data");
  if (!source || typeof Chart === "undefined") return;
  const data = JSON.parse(source.textContent);
  const figures = data.figures;
  const text = data.labels;
  if (!figures) return;
  const number = (value) => (value === null || value === undefined ? null : Number(value));
  const labels = figures.rows.map((row) => row.label);
  const options = {
    responsive: true,
    maintainAspectRatio: false,
    animation: false,
    plugins: { legend: { position: "bottom" } },
  };

  const hours = document.getElementById("chart-hours");
  if (hours) {
    new Chart(hours, {
      type: "bar",
      data: {
        labels,
        datasets: ["talk", "wrap_up", "waiting", "paused"].map((kind) => ({
          label: text[kind],
          data: figures.rows.map((row) => number(row.hours[kind])),
        })),
      },
      options: { ...options, scales: { x: { stacked: true }, y: { stacked: true, title: { display: true, text: text.hours } } } },
    });
  }

  const money = document.getElementById("chart-money");
  if (money) {
    new Chart(money, {
      type: "bar",
      data: {
        labels,
        datasets: ["labour_cost", "revenue", "profit"].map((kind) => ({
          label: text[kind],
          data: figures.rows.map((row) => number(row[kind])),
        })),
      },
      options: { ...options, scales: { y: { title: { display: true, text: figures.currency } } } },
    });
  }

  document.querySelectorAll("canvas.plan-chart").forEach((canvas) => {
    const plan = figures.plans[Number(canvas.dataset.plan)];
    if (!plan) return;
    const items = [{ label: text.hours, done: plan.hours_used, planned: plan.target_hours, forecast: plan.forecast_hours }].concat(
      plan.targets.map((target) => ({
        label: target.product,
        done: target.units,
        planned: target.target_units,
        forecast: target.forecast_units,
      })),
    );
    new Chart(canvas, {
      type: "bar",
      data: {
        labels: items.map((item) => item.label),
        datasets: [
          { label: text.done, data: items.map((item) => number(item.done)) },
          { label: text.forecast, data: items.map((item) => number(item.forecast)) },
          { label: text.planned, data: items.map((item) => number(item.planned)) },
        ],
      },
      options: { ...options, indexAxis: "y" },
    });
  });
})();
