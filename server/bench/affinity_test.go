//go:build linux

package bench

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

const pinChildEnv = "HAVEN_TEST_PIN_CHILD"

// TestPinChild is not a test: re-executed by TestPinToCPU with pinChildEnv
// set to a CPU, it pins itself and prints what the kernel then reports.
func TestPinChild(t *testing.T) {
	v := os.Getenv(pinChildEnv)
	if v == "" {
		t.Skip("helper process for TestPinToCPU")
	}
	cpu, _ := strconv.Atoi(v)
	if _, err := PinToCPU(cpu); err != nil {
		t.Fatal(err)
	}
	// Every thread of the process, as the kernel lists them (proc(5):
	// /proc/PID/task/TID/status Cpus_allowed_list).
	tasks, _ := os.ReadDir("/proc/self/task")
	for _, task := range tasks {
		b, err := os.ReadFile("/proc/self/task/" + task.Name() + "/status")
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(line, "Cpus_allowed_list:") {
				os.Stdout.WriteString("thread " + task.Name() + " " + strings.TrimSpace(strings.TrimPrefix(line, "Cpus_allowed_list:")) + "\n")
			}
		}
	}
}

// TestPinToCPU pins a child process to the last allowed CPU and checks the
// kernel's own account of every one of its threads.
func TestPinToCPU(t *testing.T) {
	cpus, err := AllowedCPUs()
	if err != nil || len(cpus) == 0 {
		t.Fatalf("allowed CPUs %v: %v", cpus, err)
	}
	want := cpus[len(cpus)-1]
	cmd := exec.Command(os.Args[0], "-test.run=^TestPinChild$", "-test.v")
	cmd.Env = append(os.Environ(), pinChildEnv+"="+strconv.Itoa(want))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	threads := 0
	for _, line := range strings.Split(string(out), "\n") {
		if !strings.HasPrefix(line, "thread ") {
			continue
		}
		threads++
		if f := strings.Fields(line); f[len(f)-1] != strconv.Itoa(want) {
			t.Errorf("%s: want only CPU %d", line, want)
		}
	}
	if threads < 2 {
		t.Fatalf("the child listed %d threads, want the runtime's several:\n%s", threads, out)
	}
}
