// Validates Kubernetes objects offline against the OpenAPI schemas that the npm packages
// kubernetes-models and @kubernetes-models/prometheus-operator carry (types, required fields,
// enums, formats, unknown fields). Input: a JSON array of objects on stdin (the YAML documents
// of packaging/kubernetes/, converted by tests/packaging/test_kubernetes.py). Prints one line
// per object and exits 1 if any is invalid or of a kind it does not know.
import { readFileSync } from "node:fs";
import { DaemonSet } from "kubernetes-models/apps/v1/DaemonSet";
import { Namespace } from "kubernetes-models/v1/Namespace";
import { Service } from "kubernetes-models/v1/Service";
import { ServiceMonitor } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor";

const kinds = {
  "apps/v1/DaemonSet": DaemonSet,
  "v1/Namespace": Namespace,
  "v1/Service": Service,
  "monitoring.coreos.com/v1/ServiceMonitor": ServiceMonitor,
};

let failed = 0;
for (const obj of JSON.parse(readFileSync(0, "utf8"))) {
  const key = `${obj.apiVersion}/${obj.kind}`;
  const name = `${key} ${obj.metadata?.name}`;
  const Model = kinds[key];
  if (!Model) {
    console.log(`UNKNOWN ${name}`);
    failed++;
    continue;
  }
  try {
    new Model(obj).validate();
    console.log(`valid ${name}`);
  } catch (e) {
    console.log(`INVALID ${name}: ${e.message}`);
    failed++;
  }
}
process.exit(failed ? 1 : 0);
