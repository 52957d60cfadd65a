// Makes spans with known start/end times and statuses with the OpenTelemetry JS SDK and exports
// them to vitals with one real exporter, chosen by MODE:
//   proto, proto-gzip (exporter-trace-otlp-proto), json, json-gzip (exporter-trace-otlp-http),
//   zipkin (exporter-zipkin), grpc, grpc-gzip (exporter-trace-otlp-grpc, to GRPC_URL; over TLS
//   trusting the CA file GRPC_CA when set, with basic auth GRPC_AUTH="user:password" when set).
// Services are named "<MODE>-frontend" and "<MODE>-backend". Exits non-zero if an export fails.
'use strict';

const api = require('@opentelemetry/api');
const { BasicTracerProvider, SimpleSpanProcessor, InMemorySpanExporter } = require('@opentelemetry/sdk-trace-base');
const { Resource } = require('@opentelemetry/resources');
const { ExportResultCode } = require('@opentelemetry/core');

const MODE = process.env.MODE;
const OTLP = process.env.OTLP_URL;      // e.g. http://127.0.0.1:4318
const ZIPKIN = process.env.ZIPKIN_URL;  // e.g. http://127.0.0.1:9411
const GRPC = process.env.GRPC_URL;      // e.g. http://127.0.0.1:4317

function exporterFor(mode, service) {
  const gzip = mode.endsWith('-gzip') ? { compression: 'gzip' } : {};
  if (mode.startsWith('proto')) {
    const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-proto');
    return new OTLPTraceExporter({ url: `${OTLP}/v1/traces`, ...gzip });
  }
  if (mode.startsWith('json')) {
    const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http');
    return new OTLPTraceExporter({ url: `${OTLP}/v1/traces`, ...gzip });
  }
  if (mode.startsWith('grpc')) {
    const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-grpc');
    const grpc = require('@grpc/grpc-js');
    const config = { url: GRPC, ...gzip };
    if (process.env.GRPC_CA) {
      config.credentials = grpc.credentials.createSsl(require('fs').readFileSync(process.env.GRPC_CA));
    }
    if (process.env.GRPC_AUTH) {
      config.metadata = new grpc.Metadata();
      config.metadata.set('authorization', `Basic ${Buffer.from(process.env.GRPC_AUTH).toString('base64')}`);
    }
    return new OTLPTraceExporter(config);
  }
  if (mode === 'zipkin') {
    const { ZipkinExporter } = require('@opentelemetry/exporter-zipkin');
    return new ZipkinExporter({ url: `${ZIPKIN}/api/v2/spans`, serviceName: service });
  }
  throw new Error(`unknown MODE ${mode}`);
}

// [seconds, nanoseconds] from a base second plus milliseconds.
const BASE = 1700000000;
function at(ms) {
  return [BASE + Math.floor(ms / 1000), (ms % 1000) * 1e6];
}

function tracerFor(service) {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: new Resource({ 'service.name': service }),
    spanProcessors: [new SimpleSpanProcessor(memory)],
  });
  return { tracer: provider.getTracer('vitals-test'), memory, provider };
}

function span(tracer, name, kind, startMs, durMs, opts = {}) {
  const s = tracer.startSpan(name, { kind, startTime: at(startMs), attributes: opts.attributes || {} }, opts.parent);
  if (opts.error) s.setStatus({ code: api.SpanStatusCode.ERROR, message: 'failed' });
  s.end(at(startMs + durMs));
  return s;
}

function exportAll(exporter, spans) {
  return new Promise((resolve, reject) => {
    exporter.export(spans, (result) => {
      if (result.code === ExportResultCode.SUCCESS) resolve();
      else reject(result.error || new Error('export failed'));
    });
  });
}

async function main() {
  const front = tracerFor(`${MODE}-frontend`);
  const back = tracerFor(`${MODE}-backend`);
  const route = { 'http.route': '/users' };
  // Backend server spans: 1, 2 (exactly on a bucket bound), 3 and 300 ms; one error of 1.5 s.
  for (const [i, d] of [1, 2, 3, 300].entries()) {
    span(back.tracer, 'GET /users', api.SpanKind.SERVER, i * 1000, d, { attributes: route });
  }
  span(back.tracer, 'GET /users', api.SpanKind.SERVER, 5000, 1500, { attributes: route, error: true });
  // A client/server pair for the service graph: 400 ms client span, 250 ms server span under it.
  const client = span(front.tracer, 'GET backend', api.SpanKind.CLIENT, 10000, 400);
  const parent = api.trace.setSpanContext(api.context.active(), client.spanContext());
  span(back.tracer, 'GET /api', api.SpanKind.SERVER, 10100, 250, { parent });

  for (const side of [front, back]) {
    const service = side === front ? `${MODE}-frontend` : `${MODE}-backend`;
    const exporter = exporterFor(MODE, service);
    await exportAll(exporter, side.memory.getFinishedSpans());
    await exporter.shutdown();
  }
  console.log(`${MODE}: exported`);
}

main().catch((e) => {
  console.error(`${MODE}: ${e && e.stack ? e.stack : e}`);
  process.exit(1);
});
