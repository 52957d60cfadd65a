// The CRI answers vitals reads, decoded with protozero from the wire format of
// proto/cri_api.proto (field numbers of k8s.io/cri-api's runtime/v1 api.proto).
#include <protozero/pbf_reader.hpp>

#include "collectors/cgroup/runtime.h"

namespace vitals::cgroup {
namespace {

std::string str(protozero::pbf_reader& m) {
  auto v = m.get_view();
  return std::string(v.data(), v.size());
}

// A map<string, string> entry: key = 1, value = 2.
std::pair<std::string, std::string> map_entry(protozero::pbf_reader m) {
  std::pair<std::string, std::string> kv;
  while (m.next()) {
    if (m.tag() == 1 && m.wire_type() == protozero::pbf_wire_type::length_delimited) {
      kv.first = str(m);
    } else if (m.tag() == 2 && m.wire_type() == protozero::pbf_wire_type::length_delimited) {
      kv.second = str(m);
    } else {
      m.skip();
    }
  }
  return kv;
}

bool is_bytes(const protozero::pbf_reader& m) {
  return m.wire_type() == protozero::pbf_wire_type::length_delimited;
}

// Container: id = 1, pod_sandbox_id = 2, metadata = 3 (name = 1), image = 4 (image = 1),
// image_ref = 5, labels = 8.
RuntimeEntry container(protozero::pbf_reader m) {
  RuntimeEntry e;
  std::string image_ref, label_pod, label_ns;
  while (m.next()) {
    if (!is_bytes(m)) {
      m.skip();
      continue;
    }
    switch (m.tag()) {
      case 1:
        e.id = str(m);
        break;
      case 2:
        e.sandbox_id = str(m);
        break;
      case 3: {
        protozero::pbf_reader md = m.get_message();
        while (md.next()) {
          if (md.tag() == 1 && is_bytes(md)) {
            e.info.container = str(md);
          } else {
            md.skip();
          }
        }
        break;
      }
      case 4: {
        protozero::pbf_reader spec = m.get_message();
        while (spec.next()) {
          if (spec.tag() == 1 && is_bytes(spec)) {
            e.info.image = str(spec);
          } else {
            spec.skip();
          }
        }
        break;
      }
      case 5:
        image_ref = str(m);
        break;
      case 8: {
        auto kv = map_entry(m.get_message());
        if (kv.first == "io.kubernetes.pod.name") label_pod = std::move(kv.second);
        if (kv.first == "io.kubernetes.pod.namespace") label_ns = std::move(kv.second);
        break;
      }
      default:
        m.skip();
    }
  }
  if (e.info.image.empty()) e.info.image = std::move(image_ref);
  // The kubelet's labels name the pod too; the sandbox, when listed, has the last word.
  e.info.pod = std::move(label_pod);
  e.info.ns = std::move(label_ns);
  return e;
}

}  // namespace

bool decode_list_containers(std::string_view pb, std::vector<RuntimeEntry>* out, std::string* err) {
  try {
    protozero::pbf_reader r(pb.data(), pb.size());
    while (r.next()) {
      if (r.tag() == 1 && is_bytes(r)) {
        RuntimeEntry e = container(r.get_message());
        if (!e.id.empty()) out->push_back(std::move(e));
      } else {
        r.skip();
      }
    }
  } catch (const protozero::exception& e) {
    *err = std::string("malformed ListContainersResponse: ") + e.what();
    return false;
  }
  return true;
}

// PodSandbox: id = 1, metadata = 2 (name = 1, uid = 2, namespace = 3).
bool decode_list_pod_sandbox(std::string_view pb, std::vector<RuntimeEntry>* out,
                             std::map<std::string, RuntimeInfo>* sandboxes, std::string* err) {
  try {
    protozero::pbf_reader r(pb.data(), pb.size());
    while (r.next()) {
      if (r.tag() != 1 || !is_bytes(r)) {
        r.skip();
        continue;
      }
      protozero::pbf_reader s = r.get_message();
      std::string id, uid;
      RuntimeInfo info;
      while (s.next()) {
        if (s.tag() == 1 && is_bytes(s)) {
          id = str(s);
        } else if (s.tag() == 2 && is_bytes(s)) {
          protozero::pbf_reader md = s.get_message();
          while (md.next()) {
            if (!is_bytes(md)) {
              md.skip();
            } else if (md.tag() == 1) {
              info.pod = str(md);
            } else if (md.tag() == 2) {
              uid = str(md);
            } else if (md.tag() == 3) {
              info.ns = str(md);
            } else {
              md.skip();
            }
          }
        } else {
          s.skip();
        }
      }
      if (id.empty()) continue;
      // The pod's own cgroup, by UID, and the sandbox (pause) container, by its id.
      if (!uid.empty()) out->push_back({"pod/" + uid, info, {}});
      out->push_back({id, info, {}});
      (*sandboxes)[id] = std::move(info);
    }
  } catch (const protozero::exception& e) {
    *err = std::string("malformed ListPodSandboxResponse: ") + e.what();
    return false;
  }
  return true;
}

}  // namespace vitals::cgroup
