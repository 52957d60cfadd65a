// Steady APM traffic for tests/integration/test_dashboards.py: every 100 ms one request passes
// frontend -> checkout -> payment, each hop a CLIENT span in the caller and a SERVER span in
// the callee (so the service graph has edges), with real current timestamps (so exemplars fall
// in Prometheus' query range), durations spread over the histogram buckets, and about one in
// eight payments failing (status ERROR on the payment server span and the checkout client
// span). frontend and checkout export with the OTLP protobuf exporter (BatchSpanProcessor),
// payment with the Zipkin exporter. Runs until SIGTERM or SIGINT, then flushes and exits 0.
//   OTLP_URL=http://127.0.0.1:4318 ZIPKIN_URL=http://127.0.0.1:9411 node traffic.js
'use strict';

const api = require('@opentelemetry/api');
const { BasicTracerProvider, BatchSpanProcessor } = require('@opentelemetry/sdk-trace-base');
const { Resource } = require('@opentelemetry/resources');
const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-proto');
const { ZipkinExporter } = require('@opentelemetry/exporter-zipkin');

const OTLP = process.env.OTLP_URL;
const ZIPKIN = process.env.ZIPKIN_URL;

function provider(service, exporter) {
  const p = new BasicTracerProvider({
    resource: new Resource({ 'service.name': service }),
    spanProcessors: [new BatchSpanProcessor(exporter, { scheduledDelayMillis: 200 })],
  });
  return { provider: p, tracer: p.getTracer('vitals-dashboard-test') };
}

const frontend = provider('frontend', new OTLPTraceExporter({ url: `${OTLP}/v1/traces` }));
const checkout = provider('checkout', new OTLPTraceExporter({ url: `${OTLP}/v1/traces` }));
const payment = provider('payment', new ZipkinExporter({ url: `${ZIPKIN}/api/v2/spans`, serviceName: 'payment' }));

// Deterministic spread of durations (ms) and failures.
let n = 0;
const DURATIONS = [3, 7, 12, 30, 45, 80, 120, 150, 250, 350, 500, 900];

function child(tracer, name, kind, parentSpan, startMs, durMs, error) {
  const ctx = parentSpan ? api.trace.setSpan(api.context.active(), parentSpan) : api.context.active();
  const s = tracer.startSpan(name, { kind, startTime: new Date(startMs) }, ctx);
  if (error) s.setStatus({ code: api.SpanStatusCode.ERROR, message: 'payment declined' });
  return { span: s, end: () => s.end(new Date(startMs + durMs)) };
}

function request() {
  n += 1;
  const pay = DURATIONS[n % DURATIONS.length];
  const failed = n % 8 === 0;
  const now = Date.now();
  const total = pay + 40;
  const t0 = now - total;
  const fe = child(frontend.tracer, 'GET /checkout', api.SpanKind.SERVER, null, t0, total, false);
  const feClient = child(frontend.tracer, 'POST checkout', api.SpanKind.CLIENT, fe.span, t0 + 5, pay + 30, false);
  const co = child(checkout.tracer, 'POST /checkout', api.SpanKind.SERVER, feClient.span, t0 + 8, pay + 24, false);
  const coClient = child(checkout.tracer, 'POST payment', api.SpanKind.CLIENT, co.span, t0 + 10, pay + 10, failed);
  const pm = child(payment.tracer, 'POST /pay', api.SpanKind.SERVER, coClient.span, t0 + 12, pay, failed);
  for (const s of [pm, coClient, co, feClient, fe]) s.end();
}

const timer = setInterval(request, 100);

async function stop() {
  clearInterval(timer);
  await Promise.all([frontend, checkout, payment].map((p) => p.provider.shutdown()));
  process.exit(0);
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
