// OTLP/gRPC answers without a gRPC server: the status mapping (the OTLP spec's), the
// google.rpc.Status + RetryInfo details and the ExportTraceServiceResponse, read back with
// libprotobuf's classes generated from proto/, and Receiver::export_grpc on raw bytes.
#include <gtest/gtest.h>

#include "apm/receiver.h"
#include "otlp_trace_service.pb.h"
#include "rpc_status.pb.h"

namespace vitals::apm {
namespace {

TEST(ApmGrpcStatus, MapsHttpOutcomesAsTheOtlpSpec) {
  EXPECT_EQ(grpc_code_for_http(200), kGrpcOk);
  EXPECT_EQ(grpc_code_for_http(400), kGrpcInvalidArgument);
  EXPECT_EQ(grpc_code_for_http(415), kGrpcInvalidArgument);
  EXPECT_EQ(grpc_code_for_http(413), kGrpcResourceExhausted);
  EXPECT_EQ(grpc_code_for_http(429), kGrpcResourceExhausted);
  EXPECT_EQ(grpc_code_for_http(503), kGrpcUnavailable);
  EXPECT_EQ(grpc_code_for_http(500), kGrpcInternal);
  // Only overload and draining are worth a retry; a too-large or bad message is not.
  EXPECT_TRUE(grpc_retryable(429));
  EXPECT_TRUE(grpc_retryable(503));
  EXPECT_FALSE(grpc_retryable(413));
  EXPECT_FALSE(grpc_retryable(400));
}

TEST(ApmGrpcStatus, RetryInfoDetail) {
  google::rpc::Status st;
  ASSERT_TRUE(st.ParseFromString(grpc_status_with_retry(kGrpcResourceExhausted, "busy", 3)));
  EXPECT_EQ(st.code(), 8);
  EXPECT_EQ(st.message(), "busy");
  ASSERT_EQ(st.details_size(), 1);
  EXPECT_EQ(st.details(0).type_url(), "type.googleapis.com/google.rpc.RetryInfo");
  google::rpc::RetryInfo ri;
  ASSERT_TRUE(ri.ParseFromString(st.details(0).value()));
  EXPECT_EQ(ri.retry_delay().seconds(), 3);
  EXPECT_EQ(ri.retry_delay().nanos(), 0);
}

TEST(ApmGrpcStatus, ExportResponse) {
  EXPECT_EQ(otlp_export_response(0, ""), "");
  opentelemetry::proto::collector::trace::v1::ExportTraceServiceResponse r;
  ASSERT_TRUE(r.ParseFromString(otlp_export_response(2, "2 rejected")));
  EXPECT_EQ(r.partial_success().rejected_spans(), 2);
  EXPECT_EQ(r.partial_success().error_message(), "2 rejected");
}

class CountSpans : public SpanSink {
 public:
  void consume(std::span<const SpanRecord> spans) override { n += spans.size(); }
  size_t n = 0;
};

TEST(ApmGrpcStatus, ExportGrpcDecodesRawBytes) {
  namespace pb = opentelemetry::proto;
  pb::collector::trace::v1::ExportTraceServiceRequest req;
  auto* ss = req.add_resource_spans()->add_scope_spans();
  for (int i = 0; i < 3; ++i) {
    auto* s = ss->add_spans();
    s->set_trace_id(std::string(16, '\1'));
    s->set_span_id(std::string(8, static_cast<char>(i + 1)));
    s->set_name("GET /");
    s->set_kind(pb::trace::v1::Span::SPAN_KIND_SERVER);
    s->set_start_time_unix_nano(1'000'000'000);
    s->set_end_time_unix_nano(i == 2 ? 1 : 1'002'000'000);  // the third ends before it starts
  }
  const std::string bytes = req.SerializeAsString();
  CountSpans sink;
  Receiver rx(sink, ReceiverOptions{});
  RpcAnswer a = rx.export_grpc([&](std::string& buf) -> std::string_view {
    buf = bytes;  // a copy into the slot's buffer, as for a ByteBuffer of several slices
    return buf;
  });
  EXPECT_EQ(a.code, kGrpcOk);
  EXPECT_EQ(sink.n, 2u);
  pb::collector::trace::v1::ExportTraceServiceResponse r;
  ASSERT_TRUE(r.ParseFromString(a.response));
  EXPECT_EQ(r.partial_success().rejected_spans(), 1);

  a = rx.export_grpc([](std::string&) -> std::string_view { return "\x0a\xff"; });
  EXPECT_EQ(a.code, kGrpcInvalidArgument);
  EXPECT_NE(a.message.find("ExportTraceServiceRequest"), std::string::npos) << a.message;
  EXPECT_TRUE(a.details.empty());

  a = rx.refuse_grpc(503, "draining");
  EXPECT_EQ(a.code, kGrpcUnavailable);
  google::rpc::Status st;
  ASSERT_TRUE(st.ParseFromString(a.details));
  EXPECT_EQ(st.details_size(), 1);
}

}  // namespace
}  // namespace vitals::apm
